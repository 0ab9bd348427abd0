package org.vlalign.defaultmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlalign.ImageInput;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;
import org.vlalign.model.world.Scene;
import org.vlalign.model.world.ShapeColour;
import org.vlalign.model.world.ShapeKind;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;

/**
 * The "no good match" signal ({@link SearchHit#isGoodMatch}) on the embedded default model, on a world
 * seed that was not used to calibrate {@link SearchHit#GOOD_MATCH_RELEVANCE} (that was seed 11).
 *
 * <p>Texts about things the model has never seen must never be called a good match; descriptions of
 * indexed scenes must be. A model whose search does not read the images cannot pass: the descriptions
 * would score like the reference texts on their best images.
 */
class DefaultModelSearchRelevanceTest {
    private static final long WORLD_SEED = 12;
    private static final int SCENES = 200;

    /** Everyday texts without the world's colour or shape words. */
    private static final List<String> UNSEEN = List.of(
            "a dog on a beach", "a man riding a horse", "two cats sleeping on a sofa", "a plate of spaghetti",
            "a city skyline at night", "children playing football", "a bowl of fruit on a table",
            "a jet in the sky", "a woman holding an umbrella", "a snowy mountain", "a cup of tea",
            "a subway train", "a sparrow on a fence", "a laptop on a desk", "people walking in the rain",
            "a sheep in a meadow", "a sailboat on the sea", "a pizza with cheese", "a zebra drinking water",
            "stock market report", "an elephant", "a portrait of an old man", "sunset over the ocean",
            "a kitchen with a stove");

    @Test
    void descriptionsOfIndexedScenesAreGoodMatchesAndUnseenThingsAreNot() {
        World world = World.builder().seed(WORLD_SEED).build();
        try (VlModel model = DefaultModel.load()) {
            List<Scene> scenes = new ArrayList<>();
            for (int i = 0; i < SCENES; i++) {
                Scene scene = world.sample(Split.TEST, i);
                scenes.add(scene);
                model.index("scene-" + i, ImageInput.of(world.renderPng(scene)), Map.of());
            }
            // the calibration's in-world texts: whole captions, second captions, and every colour-shape
            // pair that some indexed scene holds
            List<String> descriptions = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                descriptions.add(world.captions(scenes.get(i)).get(0));
            }
            for (int i = 100; i < 150; i++) {
                descriptions.add(world.captions(scenes.get(i)).get(1));
            }
            for (ShapeColour c : ShapeColour.values()) {
                for (ShapeKind k : ShapeKind.values()) {
                    if (scenes.stream().anyMatch(s -> s.objects().stream()
                            .anyMatch(o -> o.colour() == c && o.kind() == k))) {
                        descriptions.add("a " + c.word() + " " + k.word());
                    }
                }
            }
            int good = 0;
            List<String> missed = new ArrayList<>();
            for (String text : descriptions) {
                SearchHit top = model.search(text, 5).get(0);
                assertTrue(top.hasRelevance(), "the in-memory index keeps vectors");
                if (top.isGoodMatch()) {
                    good++;
                } else {
                    missed.add(text + " → " + top);
                }
            }
            // measured when calibrating: 0.923 on seed 11, 0.909 on seed 12 and 0.949 on seed 13
            assertTrue(good >= 0.9 * descriptions.size(),
                    good + " of " + descriptions.size() + " descriptions are good matches; missed: " + missed);

            List<String> calledGood = new ArrayList<>();
            for (String text : UNSEEN) {
                List<SearchHit> hits = model.search(text, 10);
                if (hits.stream().anyMatch(SearchHit::isGoodMatch)) {
                    calledGood.add(text + " → " + hits.get(0));
                }
            }
            assertEquals(List.of(), calledGood, "texts about things the model has never seen");
        }
    }

    @Test
    void theDemosExampleOfANonMatchIsSignalledOnTheBundledImages() {
        try (VlModel model = DefaultModel.load()) {
            List<Path> samples = DefaultModel.sampleImages();
            for (Path p : samples) {
                model.index(p.getFileName().toString(), ImageInput.of(p), Map.of());
            }
            List<SearchHit> dog = model.search("a dog on a beach", 15);
            assertFalse(dog.stream().anyMatch(SearchHit::isGoodMatch), dog.toString());
            // test_100015 holds a small red circle among three other shapes
            List<SearchHit> circle = model.search("a red circle", samples.size());
            SearchHit withCircle = circle.stream().filter(h -> h.id().equals("test_100015.png")).findFirst()
                    .orElseThrow();
            assertTrue(withCircle.isGoodMatch(), circle.toString());
        }
    }
}
