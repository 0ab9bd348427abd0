package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class WorldDeterminismTest {

    private static World world(long seed) {
        return World.builder().seed(seed).imageSize(64).maxShapes(4).build();
    }

    @Test
    void should_produce_identical_png_bytes_and_texts_when_seed_is_the_same() {
        World a = world(11);
        World b = world(11);
        for (long i = 0; i < 30; i++) {
            Scene sa = a.sample(i);
            Scene sb = b.sample(i);
            assertEquals(sa, sb, "scene " + i);
            assertArrayEquals(a.renderPng(sa), b.renderPng(sb), "png of scene " + i);
            assertEquals(a.captions(sa), b.captions(sb));
            assertEquals(a.questions(sa), b.questions(sb));
            assertEquals(a.description(sa), b.description(sb));
        }
    }

    @Test
    void should_differ_when_seed_differs() {
        World a = world(11);
        World b = world(12);
        int samePng = 0;
        int sameScene = 0;
        for (long i = 0; i < 30; i++) {
            if (a.sample(i).objects().equals(b.sample(i).objects())) {
                sameScene++;
            }
            if (Arrays.equals(a.renderPng(a.sample(i)), b.renderPng(b.sample(i)))) {
                samePng++;
            }
        }
        assertEquals(0, sameScene, "scenes shared by seeds 11 and 12");
        assertEquals(0, samePng, "images shared by seeds 11 and 12");
    }

    @Test
    void should_return_the_same_scene_when_accessed_randomly_or_sequentially() {
        World sequentialWorld = world(5);
        List<Scene> sequential = new ArrayList<>();
        for (long i = 0; i < 50; i++) {
            sequential.add(sequentialWorld.sample(Split.VAL, i));
        }
        World randomWorld = world(5);
        long[] order = {49, 0, 17, 3, 33, 48, 1, 25};
        for (long i : order) {
            assertEquals(sequential.get((int) i), randomWorld.sample(Split.VAL, i), "index " + i);
        }
        // a far index is reachable directly and stable
        assertEquals(randomWorld.sample(Split.TEST, 1_000_000_007L),
                sequentialWorld.sample(Split.TEST, 1_000_000_007L));
    }

    @Test
    void should_draw_each_split_from_its_own_stream() {
        World w = world(3);
        Set<Long> seeds = new HashSet<>();
        Set<List<SceneObject>> scenes = new HashSet<>();
        for (Split split : Split.values()) {
            for (long i = 0; i < 200; i++) {
                Scene s = w.sample(split, i);
                assertEquals(split, s.split());
                assertEquals(i, s.index());
                seeds.add(s.seed());
                scenes.add(s.objects());
            }
        }
        assertEquals(600, seeds.size(), "per-scene seeds must be distinct across splits and indices");
        assertEquals(600, scenes.size(), "no scene graph repeats across splits");
        assertEquals(w.sample(Split.TRAIN, 9), w.sample(9));
    }

    @Test
    void should_reject_invalid_settings() {
        assertThrows(InvalidArgumentException.class, () -> World.builder().imageSize(8));
        assertThrows(InvalidArgumentException.class, () -> World.builder().maxShapes(0));
        assertThrows(InvalidArgumentException.class, () -> World.builder().maxShapes(World.MAX_SHAPES + 1));
        assertThrows(InvalidArgumentException.class, () -> World.builder().minVisibleFraction(0.3));
        assertThrows(InvalidArgumentException.class, () -> World.builder().noiseAmplitude(-1));
        assertThrows(InvalidArgumentException.class, () -> World.builder().minShapes(3).maxShapes(2).build());
        assertThrows(InvalidArgumentException.class, () -> world(1).sample(-1));
        InvalidArgumentException e =
                assertThrows(InvalidArgumentException.class, () -> World.builder().imageSize(2000));
        assertTrue(e.getMessage().contains("2000"), e.getMessage());
    }

    @Test
    void should_honour_shape_count_and_image_size_settings() {
        World w = World.builder().seed(9).imageSize(96).minShapes(2).maxShapes(5).build();
        Set<Integer> counts = new HashSet<>();
        for (long i = 0; i < 200; i++) {
            Scene s = w.sample(i);
            counts.add(s.objects().size());
            assertEquals(96, s.imageSize());
        }
        assertEquals(Set.of(2, 3, 4, 5), counts);
        assertEquals(96, w.render(w.sample(0)).getWidth());
    }
}
