package org.vlalign.defaultmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Shape;
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
import org.vlalign.model.world.ShapeGeometry;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.spi.AttendingFeatureExtractor;
import org.vlalign.spi.PatchAttention;

/**
 * Issue 18's acceptance check for attention maps: on held-out one-shape scenes, the map of "what colour is the
 * X?" peaks inside X's cell of the 3×3 grid on at least {@value #MIN_PEAK_IN_CELL} of the scenes. The map's peak
 * cell is the cell holding the most attention, each patch's weight shared among the cells it overlaps by area.
 * A coarse patch grid needs that: the recipe's 16-pixel patches make a 4×4 grid whose middle patches straddle
 * two cells, and judging by the cell of the heaviest patch's centre credited a map that weights each patch by
 * the shape's pixels in it on only 0.64 of one-shape scenes (0.98 on the 8×8 grid of 8-pixel patches), below the
 * bound; by attention mass that ideal map reads 0.94 and 1.00 ({@link
 * #should_credit_a_map_that_attends_to_the_shapes_pixels}).
 *
 * <p>The issue states the bound for a model that reads images. The model shipped when this test was written
 * does not (about 0.1 of colour questions right, chance 0.125), yet its maps peak in the shape's cell on 50 of
 * these 50 scenes (47 by the heaviest patch's centre): the Q-Former's queries, trained for image-text retrieval,
 * cross-attend to the shape, so any mix of queries the language model attends to peaks there. A recipe model
 * whose Q-Former was tuned with the language model (answering 0.86 of fresh colour questions) reads 47 of 50
 * (37 by the patch centre). The test therefore asserts the bound on every model,
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

    @Test
    void should_credit_a_map_that_attends_to_the_shapes_pixels() {
        World world = World.builder().seed(WORLD_SEED).minShapes(1).maxShapes(1).build();
        int size = 64;
        for (int grid : new int[] {4, 8}) {
            int right = 0;
            int scenes = 500;
            for (int i = 0; i < scenes; i++) {
                SceneObject shape = world.sample(Split.TEST, i).objects().get(0);
                Shape outline = ShapeGeometry.outline(shape, size);
                float[] mass = new float[grid * grid]; // the shape's pixels in each patch
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        if (outline.contains(x + 0.5, y + 0.5)) {
                            mass[(y * grid / size) * grid + x * grid / size]++;
                        }
                    }
                }
                right += cellOf(AttentionMap.of(grid, grid, new float[][] {mass})) == shape.position() ? 1 : 0;
            }
            assertTrue(right >= 0.9 * scenes, "an ideal " + grid + "x" + grid + " map finds the shape's cell on "
                    + right + "/" + scenes + " scenes; the rule, not the model, would fail the bound");
        }
    }

    /** The 3×3 cell holding the most of the map's weight, each patch's shared among its cells by area. */
    static GridPosition cellOf(AttentionMap map) {
        int w = map.gridWidth();
        int h = map.gridHeight();
        double[] cells = new double[9];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int row = 0; row < 3; row++) {
                    double dy = overlap((double) y / h, (y + 1.0) / h, row / 3.0, (row + 1) / 3.0) * h;
                    for (int col = 0; col < 3; col++) {
                        double dx = overlap((double) x / w, (x + 1.0) / w, col / 3.0, (col + 1) / 3.0) * w;
                        cells[row * 3 + col] += map.weight(x, y) * dx * dy;
                    }
                }
            }
        }
        int best = 0;
        for (int c = 1; c < cells.length; c++) {
            best = cells[c] > cells[best] ? c : best;
        }
        return GridPosition.ofPoint((best % 3 + 0.5) / 3, (best / 3 + 0.5) / 3);
    }

    private static double overlap(double from, double to, double cellFrom, double cellTo) {
        return Math.max(0, Math.min(to, cellTo) - Math.max(from, cellFrom));
    }
}
