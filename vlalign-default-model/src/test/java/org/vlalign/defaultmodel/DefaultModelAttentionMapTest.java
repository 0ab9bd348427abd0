package org.vlalign.defaultmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.AttentionMap;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import org.vlalign.core.metrics.AnswerNormalizer;
import org.vlalign.model.world.GridPosition;
import org.vlalign.model.world.Scene;
import org.vlalign.model.world.SceneObject;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.spi.AttendingFeatureExtractor;
import org.vlalign.spi.PatchAttention;

/**
 * Issue 18's acceptance check for attention maps: on held-out one-shape scenes, the map of "what colour is the
 * X?" peaks inside X's cell of the 3×3 grid on at least {@value #MIN_PEAK_IN_CELL} of the scenes. The peak is
 * the patch of largest weight; it is inside X's cell when the patch's centre is (the default model's 8×8 patch
 * grid over its 64-pixel images puts every patch centre in exactly one cell).
 *
 * <p>The issue states the bound for a model that reads images. The model shipped when this test was written
 * does not (about 0.1 of colour questions right, chance 0.125), yet its maps peak in the shape's cell on 47 of
 * these 50 scenes: the Q-Former's queries, trained for image-text retrieval, cross-attend to the shape, so any
 * mix of queries the language model attends to peaks there. The test therefore asserts the bound on every model,
 * and reports beside it the colour accuracy and the same rate for the Q-Former alone (every query weighted
 * equally), so a reader sees how much the language model's attention adds.
 */
class DefaultModelAttentionMapTest {
    /** The fraction of scenes whose map must peak in the shape's cell (issue 18). */
    static final double MIN_PEAK_IN_CELL = 0.80;
    /** Held-out scenes. */
    static final int SCENES = 50;
    /** Not the training world's seed (1). */
    static final long WORLD_SEED = 20_261_207L;

    @Test
    void should_peak_inside_the_shapes_cell_on_at_least_80_percent_of_held_out_one_shape_scenes() {
        World world = World.builder().seed(WORLD_SEED).minShapes(1).maxShapes(1).build();
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(8).attentionMap(true).build();
        int inCell = 0;
        int qformerInCell = 0;
        int rightColour = 0;
        StringBuilder misses = new StringBuilder();
        try (VlModel model = DefaultModel.load()) {
            for (int i = 0; i < SCENES; i++) {
                Scene scene = world.sample(Split.TEST, i);
                assertEquals(1, scene.objects().size(), "a one-shape world");
                SceneObject shape = scene.objects().get(0);
                ImageInput image = ImageInput.of(world.renderPng(scene));
                Answer answer = model.ask(image, "what colour is the " + shape.kind().word() + "?", config, t -> {});
                AttentionMap map = answer.attentionMap().orElseThrow();
                GridPosition cell = cellOf(map);
                PatchAttention patches = ((AttendingFeatureExtractor) model.featureExtractor())
                        .extractWithPatchAttention(image, "");
                float[] uniform = new float[patches.features().rows()];
                java.util.Arrays.fill(uniform, 1f);
                AttentionMap qformerOnly = AttentionMap.of(patches.gridWidth(), patches.gridHeight(),
                        new float[][] {patches.toPatches(uniform)});
                if (cellOf(qformerOnly) == shape.position()) {
                    qformerInCell++;
                }
                if (cell == shape.position()) {
                    inCell++;
                } else if (misses.length() < 400) {
                    misses.append(' ').append(scene.name()).append(": ").append(shape.position()).append(" peak ")
                            .append(cell);
                }
                if (AnswerNormalizer.normalize(answer.text()).equals(shape.colour().word())) {
                    rightColour++;
                }
            }
        }
        double peakRate = (double) inCell / SCENES;
        double colourRate = (double) rightColour / SCENES;
        String report = String.format("attention peak in the shape's cell on %d/%d scenes (%.2f; chance 1/9);"
                + " Q-Former alone %d/%d; colour answered right on %d/%d (%.2f);%s", inCell, SCENES, peakRate,
                qformerInCell, SCENES, rightColour, SCENES, colourRate, misses);
        System.out.println("DefaultModelAttentionMapTest: " + report);
        assertTrue(peakRate >= MIN_PEAK_IN_CELL, report);
    }

    /** The cell holding the centre of the map's peak patch. */
    private static GridPosition cellOf(AttentionMap map) {
        int peak = map.peak();
        return GridPosition.ofPoint((peak % map.gridWidth() + 0.5) / map.gridWidth(),
                (peak / map.gridWidth() + 0.5) / map.gridHeight());
    }
}
