package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlModel;

/**
 * The grounding probes against two models whose behaviour is known: an oracle that recognises every rendered
 * scene by its pixels and answers from the scene graph, and a blind model that answers each question the same
 * way whatever the image.
 */
class WorldGroundingTest {
    private static final long SEED = 5;
    private static final int SCENES = 12;
    private static final GenerationConfig CONFIG = GenerationConfig.builder().maxNewTokens(8).build();

    @Test
    void variants_change_one_thing_and_keep_the_world_rules() {
        World world = World.builder().seed(SEED).build();
        int colour = 0;
        int kind = 0;
        int moved = 0;
        int removed = 0;
        for (int i = 0; i < 40; i++) {
            Scene scene = world.sample(Split.TEST, i);
            SceneObject o = scene.objects().get(0);
            for (Scene v : WorldGrounding.variants(world, scene)) {
                assertEquals(scene.seed(), v.seed());
                if (v.objects().size() == scene.objects().size() - 1) {
                    assertEquals(scene.objects().subList(0, v.objects().size()), v.objects());
                    removed++;
                    continue;
                }
                assertEquals(scene.objects().subList(1, scene.objects().size()),
                        v.objects().subList(1, v.objects().size()));
                SceneObject c = v.objects().get(0);
                int changes = (c.colour() != o.colour() ? 1 : 0) + (c.kind() != o.kind() ? 1 : 0)
                        + (c.position() != o.position() ? 1 : 0);
                assertEquals(1, changes, scene + " -> " + v);
                colour += c.colour() != o.colour() ? 1 : 0;
                kind += c.kind() != o.kind() ? 1 : 0;
                moved += c.position() != o.position() ? 1 : 0;
                long sameNames = v.objects().stream().map(SceneObject::colourKind).distinct().count();
                assertEquals(v.objects().size(), sameNames, "colour and kind stay unique: " + v);
            }
        }
        assertTrue(colour >= 30 && kind >= 30 && moved >= 20 && removed >= 20,
                colour + " " + kind + " " + moved + " " + removed);
    }

    @Test
    void an_oracle_gets_every_pair_never_agrees_with_a_blank_image_and_falls_with_swapped_images() {
        World world = World.builder().seed(SEED).build();
        try (VlModel oracle = model(oracle(world))) {
            WorldGrounding.Result pairs = WorldGrounding.minimalPairs(oracle, SEED, SCENES, CONFIG);
            assertEquals(1.0, pairs.overall(), pairs.toString());
            assertTrue(pairs.items() >= 3 * SCENES, pairs.toString());
            assertTrue(pairs.perType().keySet().containsAll(List.of("colour", "shape", "count", "position")),
                    pairs.toString());

            WorldGrounding.Result blank = WorldGrounding.blankImage(oracle, SEED, SCENES, CONFIG);
            assertEquals(0.0, blank.overall(), blank.toString());

            WorldGrounding.Result swapped = WorldGrounding.swappedImages(oracle, SEED, SCENES, CONFIG);
            assertTrue(swapped.perType().get("colour") < 0.5, swapped.toString());
            assertTrue(swapped.perType().get("position") < 0.5, swapped.toString());
        }
    }

    @Test
    void a_blind_model_gets_no_pair_and_answers_a_blank_image_as_it_answers_the_scene() {
        World world = World.builder().seed(SEED).build();
        Map<String, String> firstAnswer = new HashMap<>();
        try (VlModel blind = model((image, question) -> firstAnswer.computeIfAbsent(question, q -> "red"))) {
            WorldGrounding.Result pairs = WorldGrounding.minimalPairs(blind, SEED, SCENES, CONFIG);
            assertEquals(0.0, pairs.overall(), pairs.toString());
            WorldGrounding.Result blank = WorldGrounding.blankImage(blind, SEED, SCENES, CONFIG);
            assertEquals(1.0, blank.overall(), blank.toString());
            assertFalse(blank.perType().isEmpty());
        }
    }

    @Test
    void rejects_out_of_range_scene_counts() {
        try (VlModel any = model((image, question) -> "1")) {
            assertThrows(InvalidArgumentException.class, () -> WorldGrounding.minimalPairs(any, SEED, 0, CONFIG));
            assertThrows(InvalidArgumentException.class, () -> WorldGrounding.swappedImages(any, SEED, 1, CONFIG));
        }
    }

    /** Answers from the scene graph of whichever rendered scene (or single-change variant) the pixels match. */
    private static BiFunction<BufferedImage, String, String> oracle(World world) {
        Map<Integer, List<Scene>> byPixels = new HashMap<>();
        for (int i = 0; i < SCENES; i++) {
            Scene scene = world.sample(Split.TEST, i);
            List<Scene> all = new ArrayList<>(WorldGrounding.variants(world, scene));
            all.add(scene);
            for (Scene s : all) {
                byPixels.computeIfAbsent(pixels(world.render(s)), h -> new ArrayList<>()).add(s);
            }
        }
        return (image, question) -> {
            for (Scene s : byPixels.getOrDefault(pixels(image), List.of())) {
                for (QaPair q : world.questions(s)) {
                    if (q.question().equals(question)) {
                        return q.answer();
                    }
                }
                // a question this scene's draw does not ask: answer it from the scene graph's counts
                return Integer.toString(s.objects().size());
            }
            return "nothing";
        };
    }

    private static int pixels(BufferedImage image) {
        return Arrays.hashCode(image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth()));
    }

    private static VlModel model(BiFunction<BufferedImage, String, String> answers) {
        return ScriptedVlModel.answering(r -> answers.apply(r.image().image().orElseThrow(), r.query()));
    }
}
