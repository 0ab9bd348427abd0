package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.metrics.BoundingBox;

/** The box questions: their answers are the drawn objects' boxes, each names one object, and they are stable. */
class WorldBoxQuestionsTest {

    @Test
    void should_answer_the_tight_box_of_the_rendered_object_within_a_pixel() {
        // One shape on a plain background: every pixel the renderer touched differs from the background.
        for (int size : new int[] {64, 97}) {
            World world = World.builder().seed(11).imageSize(size).maxShapes(1).noiseAmplitude(0).build();
            for (long i = 0; i < 60; i++) {
                Scene scene = world.sample(Split.TRAIN, i);
                BufferedImage image = world.render(scene);
                int minX = size;
                int minY = size;
                int maxX = -1;
                int maxY = -1;
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        int v = World.BACKGROUND;
                        if ((image.getRGB(x, y) & 0xffffff) != ((v << 16) | (v << 8) | v)) {
                            minX = Math.min(minX, x);
                            minY = Math.min(minY, y);
                            maxX = Math.max(maxX, x);
                            maxY = Math.max(maxY, y);
                        }
                    }
                }
                List<QaPair> boxes = world.boxQuestions(scene);
                assertEquals(1, boxes.size());
                BoundingBox box = BoundingBox.parse(boxes.get(0).answer()).orElseThrow();
                // Pixels [minX, maxX] cover [minX, maxX + 1) of the image; the two-decimal answer is within a
                // pixel of that on every side (rounding adds at most 0.005 of the side).
                String ctx = "size " + size + " scene " + i + ": " + boxes.get(0) + " vs pixels x " + minX + ".."
                        + maxX + " y " + minY + ".." + maxY;
                double tolerance = 1.0 + 0.005 * size;
                assertEquals(minX, box.x0() * size, tolerance, ctx);
                assertEquals(minY, box.y0() * size, tolerance, ctx);
                assertEquals(maxX + 1, box.x1() * size, tolerance, ctx);
                assertEquals(maxY + 1, box.y1() * size, tolerance, ctx);
            }
        }
    }

    @Test
    void should_enclose_every_covered_pixel_of_every_object_of_a_crowded_scene() {
        World world = World.builder().seed(3).maxShapes(6).build();
        int n = world.imageSize();
        for (long i = 0; i < 40; i++) {
            Scene scene = world.sample(Split.TEST, i);
            for (SceneObject o : scene.objects()) {
                BoundingBox box = ShapeGeometry.box(o, n);
                boolean[] mask = ShapeGeometry.coverage(o, n);
                for (int p = 0; p < mask.length; p++) {
                    if (mask[p]) {
                        double cx = (p % n + 0.5) / n;
                        double cy = (p / n + 0.5) / n;
                        assertTrue(cx >= box.x0() && cx <= box.x1() && cy >= box.y0() && cy <= box.y1(),
                                "scene " + i + " " + o + " pixel " + p + " outside " + box.format());
                    }
                }
            }
        }
    }

    @Test
    void should_ask_one_question_per_object_naming_it_uniquely() {
        World world = World.builder().seed(4).maxShapes(6).build();
        for (long i = 0; i < 200; i++) {
            Scene scene = world.sample(Split.VAL, i);
            List<QaPair> boxes = world.boxQuestions(scene);
            assertEquals(scene.objects().size(), boxes.size());
            Set<String> questions = new HashSet<>();
            for (QaPair qa : boxes) {
                assertEquals(QaType.BOX, qa.type());
                assertTrue(qa.question().matches("give the bounding box of the [a-z ]+\\."), qa.question());
                assertTrue(qa.answer().matches("\\[[01]\\.\\d\\d(, [01]\\.\\d\\d){3}]"), qa.answer());
                String name = qa.question().substring("give the bounding box of the ".length(),
                        qa.question().length() - 1);
                long named = scene.objects().stream()
                        .filter(o -> o.kind().word().equals(name) || o.colourKind().equals(name)).count();
                assertEquals(1, named, "scene " + i + ": " + qa);
                questions.add(qa.question());
                assertTrue(tokensKnown(qa.question()), qa.question());
                assertTrue(tokensKnown(qa.answer()), qa.answer());
            }
            assertEquals(boxes.size(), questions.size(), "scene " + i);
        }
    }

    private static boolean tokensKnown(String text) {
        Set<String> vocabulary = new HashSet<>(World.vocabulary());
        vocabulary.addAll(World.boxVocabulary());
        return vocabulary.containsAll(World.tokenize(text));
    }

    @Test
    void should_phrase_a_referring_expression_as_the_world_asks_for_boxes() {
        World world = World.builder().seed(4).build();
        QaPair asked = world.boxQuestions(world.sample(Split.TRAIN, 0)).get(0);
        String name = asked.question().substring("give the bounding box of the ".length(),
                asked.question().length() - 1);
        assertEquals(asked.question(), World.boxQuestion(name));
        assertEquals(asked.question(), World.boxQuestion("  The " + name + ". "));
        assertThrows(InvalidArgumentException.class, () -> World.boxQuestion("the ."));
    }

    @Test
    void should_draw_the_same_box_questions_for_the_same_scene() {
        World a = World.builder().seed(8).build();
        World b = World.builder().seed(8).build();
        for (long i = 0; i < 50; i++) {
            assertEquals(a.boxQuestions(a.sample(Split.TRAIN, i)), b.boxQuestions(b.sample(Split.TRAIN, i)));
        }
    }
}
