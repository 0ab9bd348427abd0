package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.train.StreamOrder;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyBlip;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.train.VisionLabelObjective.Reads;

class VisionLabelObjectiveTest {
    private static final int LABELS = 3;

    @TempDir
    Path dir;

    /** Eight gradient images; label 0 is the seed's parity, 1 is seed > 4, 2 is never true. */
    private static List<ImageLabels> items() {
        List<ImageLabels> out = new ArrayList<>();
        for (int seed = 1; seed <= 8; seed++) {
            BitSet yes = new BitSet();
            yes.set(0, seed % 2 == 0);
            yes.set(1, seed > 4);
            out.add(new ImageLabels(TestImages.gradient(seed, 20, 18), LABELS, yes));
        }
        return out;
    }

    /** Weights the objective may change: the tower, and reading the queries, their path through the Q-Former. */
    private static final Pattern QUERY_PATH = Pattern.compile(
            "vision_model\\..*|query_tokens|qformer\\.(layernorm|encoder\\.layer\\.\\d+\\.(attention|crossattention"
                    + "|intermediate_query|output_query))\\..*");

    /** What the head reads for one image: the tower's tokens or the Q-Former's query rows, flattened. */
    private static float[] headInput(BlipFeatureExtractor m, Reads reads, ImageLabels item) {
        try (NDManager call = m.newCallManager()) {
            var pixels = m.pixelValues(call, List.of(item.image()));
            return (reads == Reads.TOWER ? m.visionStates(call, pixels) : m.queryOutput(call, pixels, null, null))
                    .toFloatArray();
        }
    }

    @ParameterizedTest
    @EnumSource(Reads.class)
    void should_give_the_mean_binary_cross_entropy_of_a_linear_head_on_the_flattened_output(Reads reads) {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 3L, 1);
        List<ImageLabels> batch = items().subList(0, 3);
        try (VisionLabelObjective objective = VisionLabelObjective.load(blip, LABELS, reads, 5L);
                TrainingLoop<ImageLabels> loop = TrainingLoop.create(objective, TrainingConfig.builder()
                        .microBatchSize(3).build())) {
            float[] w = objective.parameters().get("label_head.weight").toFloatArray();
            float[] b = objective.parameters().get("label_head.bias").toFloatArray();
            double want = 0;
            for (ImageLabels item : batch) {
                float[] states = headInput(objective.model(), reads, item);
                assertEquals(LABELS * states.length, w.length, "the head reads every row of the output");
                double itemLoss = 0;
                for (int l = 0; l < LABELS; l++) {
                    double x = b[l];
                    for (int j = 0; j < states.length; j++) {
                        x += w[l * states.length + j] * states[j];
                    }
                    double p = 1 / (1 + Math.exp(-x));
                    itemLoss -= item.isPositive(l) ? Math.log(p) : Math.log(1 - p);
                }
                want += itemLoss / LABELS;
            }
            assertEquals(want / batch.size(), loop.meanLoss(batch), 1e-5);
        }
    }

    @ParameterizedTest
    @EnumSource(Reads.class)
    void should_train_only_what_the_head_reads_and_save_it_without_the_head(Reads reads) {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 4L, 1);
        Path saved = dir.resolve("trained");
        List<ImageLabels> data = items();
        Map<String, float[]> trained;
        try (VisionLabelObjective objective = VisionLabelObjective.load(blip, LABELS, reads, 5L);
                TrainingLoop<ImageLabels> loop = TrainingLoop.create(objective, TrainingConfig.builder()
                        .microBatchSize(8).schedule(step -> 1e-2).build())) {
            Map<String, float[]> before = objective.model().parameters().values();
            double lossBefore = loop.meanLoss(data);
            Map<String, Double> scoresBefore = objective.evaluate(data);
            loop.train(StreamOrder.of(data, 8, 40, 9L, (item, random) -> item));
            double lossAfter = loop.meanLoss(data);
            assertTrue(lossAfter < 0.5 * lossBefore, "loss " + lossBefore + " -> " + lossAfter);
            Map<String, Double> scores = objective.evaluate(data);
            assertTrue(scores.get("labelAccuracy") > scoresBefore.get("labelAccuracy")
                    && scores.get("labelAccuracy") == 1.0, "before " + scoresBefore + ", after " + scores);
            assertEquals(1.0, scores.get("exactMatch"));
            assertEquals(1.0, scores.get("positiveF1"));
            trained = objective.model().parameters().values();
            for (String key : before.keySet()) {
                boolean changed = !Arrays.equals(before.get(key), trained.get(key));
                boolean learns = reads == Reads.TOWER ? key.startsWith("vision_model.")
                        : QUERY_PATH.matcher(key).matches();
                assertEquals(learns, changed, key + (changed ? " changed" : " did not change"));
            }
            objective.save(saved);
        }
        try (BlipFeatureExtractor reloaded = BlipFeatureExtractor.load(saved)) {
            Map<String, float[]> values = reloaded.parameters().values();
            assertEquals(trained.keySet(), values.keySet(), "the head is not part of the checkpoint");
            for (String key : trained.keySet()) {
                assertArrayEquals(trained.get(key), values.get(key), 0f, key);
            }
        }
    }

    @Test
    void should_refuse_items_whose_label_count_is_not_the_objectives() {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 3L, 1);
        assertThrows(InvalidArgumentException.class, () -> VisionLabelObjective.load(blip, 0, 1L));
        BitSet tooHigh = new BitSet();
        tooHigh.set(LABELS);
        assertThrows(InvalidArgumentException.class,
                () -> new ImageLabels(TestImages.gradient(1, 8, 8), LABELS, tooHigh));
        try (VisionLabelObjective objective = VisionLabelObjective.load(blip, LABELS + 1, 5L)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> objective.evaluate(items()));
            assertTrue(e.getMessage().contains("4 labels"), e.getMessage());
        }
        BitSet yes = new BitSet();
        ImageLabels item = new ImageLabels(TestImages.gradient(1, 8, 8), LABELS, yes);
        yes.set(0);
        assertFalse(item.isPositive(0), "the item keeps its own copy");
    }
}
