package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.compose.FakeLanguageModel;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.core.train.TrainingProgress;
import org.vlalign.testing.TrainingFixtures;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.adaptor.LinearAdaptor;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;

class AdaptorObjectiveTest extends TinyLlamaTestBase {

    private static final String W = LinearAdaptor.LANGUAGE_PROJECTION + "weight";

    @Test
    void should_label_only_the_answer_and_eos_when_encoding_an_example() {
        TrainingExample ex = TrainingExample.of(Path.of("/images/x.jpg"), "what color is the cat", "red", "vqa");
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainingFixtures.FEATURE_DIM, TrainingFixtures.HIDDEN, 1L)) {
            AdaptorObjective objective = objective(adaptor);
            AdaptorObjective.Encoded e = objective.encode(ex, TrainingFixtures.featuresOf(ex.image()).rows(),
                    TrainingFixtures.featuresOf(ex.image()).cols());
            // <s> [INST] <image x4> what color is the cat [/INST] red </s>
            int[] expected = {TrainingFixtures.BOS, TrainingFixtures.id("[INST]"), -1, -1, -1, -1, TrainingFixtures.id("what"),
                TrainingFixtures.id("color"), TrainingFixtures.id("is"), TrainingFixtures.id("the"), TrainingFixtures.id("cat"),
                TrainingFixtures.id("[/INST]"), TrainingFixtures.id("red"), TrainingFixtures.EOS};
            assertArrayEquals(expected, e.ids());
            int[] labels = new int[expected.length];
            Arrays.fill(labels, AdaptorObjective.IGNORE);
            labels[12] = TrainingFixtures.id("red");
            labels[13] = TrainingFixtures.EOS;
            assertArrayEquals(labels, e.labels());
            assertEquals(2, e.imageStart());
            assertEquals(2, e.answerTokens());
            assertEquals(2.0, objective.weight(ex), "an example weighs its answer tokens");
            AdaptorObjective noEos = AdaptorObjective.create(lm, WRAPPER, adaptor, TrainingFixtures.features(), false);
            assertEquals(1, noEos.encode(ex, TrainingFixtures.featuresOf(ex.image()).rows(),
                    TrainingFixtures.featuresOf(ex.image()).cols()).answerTokens());
            assertEquals(adaptor.parameters().keys(), objective.parameters().keys(), "only the adaptor is offered");
        }
    }

    @Test
    void should_reproduce_the_caption_when_overfitting_one_pair() {
        TrainingExample ex = TrainingFixtures.caption("one.jpg", "a red bird sits near the tree");
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainingFixtures.FEATURE_DIM, TrainingFixtures.HIDDEN, 3L);
                TrainingLoop<TrainingExample> trainer = adaptorLoop(adaptor,
                        constant(0.05).epochs(200).microBatchSize(1).build())) {
            double before = trainer.meanLoss(List.of(ex));
            TrainingResult r = trainer.train(List.of(ex));
            double after = trainer.meanLoss(List.of(ex));
            assertTrue(r.completed());
            assertEquals(200, r.step());
            assertTrue(after < 0.1 * before, "loss " + before + " -> " + after);
            Features embeddings = adaptor.adapt(TrainingFixtures.featuresOf(ex.image()));
            Answer a = lm.generate(WRAPPER.wrap(embeddings, ""), GenerationConfig.builder().maxNewTokens(12).build());
            assertEquals(ex.answer(), a.text().strip());
            int[] expected = Arrays.stream(ex.answer().split(" ")).mapToInt(TrainingFixtures::id).toArray();
            assertArrayEquals(expected, a.tokenIds(), "the caption's tokens");
            assertEquals(org.vlalign.FinishReason.EOS, a.finishReason(), "it learned to stop");
        }
    }

    @Test
    void should_lower_the_loss_well_below_its_start_on_generated_data() {
        List<TrainingExample> data = TrainingFixtures.generated(8, 2);
        try (TrainableAdaptor adaptor = TrainableAdaptor.mlp(TrainingFixtures.FEATURE_DIM, 48, TrainingFixtures.HIDDEN, 5L);
                TrainingLoop<TrainingExample> trainer = adaptorLoop(adaptor,
                        TrainingConfig.builder().epochs(12).microBatchSize(4).gradientAccumulation(2).seed(11L)
                                .schedule((perEpoch, total) -> new org.vlalign.core.train.WarmupCosineSchedule(
                                        1e-3, 2e-2, perEpoch, total, 5e-3))
                                .build())) {
            double before = trainer.meanLoss(data);
            List<TrainingProgress> progress = new ArrayList<>();
            trainer.addListener(progress::add);
            TrainingResult r = trainer.train(data);
            double after = trainer.meanLoss(data);
            assertEquals(24, r.step()); // 16 examples / 8 per step × 12 epochs
            assertEquals(24, progress.size());
            assertTrue(after < 0.3 * before, "loss " + before + " -> " + after);
            assertEquals(1e-3, progress.get(0).learningRate(), 1e-12);
            assertEquals(8, progress.get(0).positionInEpoch());
            assertEquals(16, progress.get(1).positionInEpoch());
            assertEquals(1, progress.get(2).epoch());
        }
    }

    @Test
    void should_leave_the_language_model_weights_bit_identical() throws Exception {
        String before = digest(lm.model().manager());
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainingFixtures.FEATURE_DIM, TrainingFixtures.HIDDEN, 9L);
                TrainingLoop<TrainingExample> trainer = adaptorLoop(adaptor,
                        constant(0.05).epochs(2).microBatchSize(2).build())) {
            Map<String, float[]> initial = adaptor.parameters().values();
            trainer.train(TrainingFixtures.generated(4, 1));
            assertFalse(Arrays.equals(initial.get(W), adaptor.parameters().values().get(W)), "the adaptor learns");
            for (NDArray p : lm.parameters().asMap().values()) {
                assertFalse(p.hasGradient(), "the frozen language model never requires gradients");
            }
        }
        assertEquals(before, digest(lm.model().manager()));
    }

    /** SHA-256 over the sorted per-array digests of every array a manager (and its children) holds. */
    static String digest(NDManager manager) throws Exception {
        TreeSet<String> parts = new TreeSet<>();
        for (NDArray a : ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays()) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(a.getShape().toString().getBytes());
            ByteBuffer bytes = a.toByteBuffer();
            md.update(bytes);
            parts.add(HexFormat.of().formatHex(md.digest()));
        }
        assertTrue(parts.size() > 10, "found the weights: " + parts.size());
        return String.join(",", parts);
    }

    @Test
    void should_export_weights_that_linear_adaptor_loads(@TempDir Path dir) {
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainingFixtures.FEATURE_DIM, TrainingFixtures.HIDDEN, 4L);
                TrainingLoop<TrainingExample> trainer = adaptorLoop(adaptor,
                        constant(0.05).microBatchSize(2).build())) {
            trainer.train(TrainingFixtures.generated(4, 1));
            adaptor.export(dir.resolve(AdaptorObjective.ADAPTOR_FILE));
            Features f = TrainingFixtures.featuresOf(Path.of("/images/img0.jpg"));
            try (LinearAdaptor loaded = LinearAdaptor.load(dir.resolve(AdaptorObjective.ADAPTOR_FILE));
                    TrainableAdaptor again = TrainableAdaptor.load(dir.resolve(AdaptorObjective.ADAPTOR_FILE))) {
                float[] expected = adaptor.adapt(f).data();
                assertArrayEquals(expected, loaded.adapt(f).data(), 1e-6f);
                assertArrayEquals(expected, again.adapt(f).data(), 0f);
            }
        }
    }

    @Test
    void should_reject_an_adaptor_that_does_not_fit_the_language_model() {
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainingFixtures.FEATURE_DIM, 20, 4L)) {
            assertThrows(InvalidArgumentException.class, () -> objective(adaptor));
        }
    }

    @Test
    void should_refuse_a_language_model_it_cannot_back_propagate_through() {
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainingFixtures.FEATURE_DIM, TrainingFixtures.HIDDEN, 4L);
                FakeLanguageModel other = new FakeLanguageModel(TrainingFixtures.HIDDEN, 64, 1)) {
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                    () -> AdaptorObjective.create(other, WRAPPER, adaptor, TrainingFixtures.features()));
            assertTrue(e.getMessage().contains("adaptor objective") && e.getMessage().contains("Llama"),
                    e.getMessage());
        }
    }

    @Test
    void should_compute_the_gradient_that_finite_differences_give() {
        List<TrainingExample> data = TrainingFixtures.generated(3, 1);
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainingFixtures.FEATURE_DIM, TrainingFixtures.HIDDEN, 8L);
                TrainingLoop<TrainingExample> trainer = adaptorLoop(adaptor,
                        constant(1e-3).microBatchSize(2).gradientAccumulation(2).build())) {
            // central differences of the mean answer-token loss w.r.t. every parameter, in float64 sums
            double h = 1e-2;
            double squares = 0;
            Map<String, float[]> start = adaptor.parameters().values();
            Map<String, double[]> numeric = new java.util.LinkedHashMap<>();
            for (String name : adaptor.parameters().keys()) {
                float[] v = start.get(name);
                double[] g = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    g[i] = (lossWith(trainer, adaptor, name, v, i, h) - lossWith(trainer, adaptor, name, v, i, -h))
                            / (2 * h);
                    squares += g[i] * g[i];
                }
                setParameter(adaptor, name, v);
                numeric.put(name, g);
            }
            List<TrainingProgress> progress = new ArrayList<>();
            trainer.addListener(progress::add);
            trainer.train(data); // one step over 3 examples (micro-batches of 2 and 1)
            assertEquals(1, progress.size());
            assertEquals(Math.sqrt(squares), progress.get(0).gradientNorm(), 0.02 * Math.sqrt(squares));
            // AdamW's first step moves every parameter by lr against its gradient's sign
            Map<String, float[]> after = adaptor.parameters().values();
            int checked = 0;
            for (String name : numeric.keySet()) {
                double[] g = numeric.get(name);
                for (int i = 0; i < g.length; i++) {
                    if (Math.abs(g[i]) > 0.05 * Math.sqrt(squares / 100)) {
                        double moved = after.get(name)[i] - start.get(name)[i];
                        assertEquals(-Math.signum(g[i]), Math.signum(moved), name + "[" + i + "] g=" + g[i]);
                        checked++;
                    }
                }
            }
            assertTrue(checked > 100, "checked " + checked);
        }
    }

    private static double lossWith(TrainingLoop<TrainingExample> trainer, TrainableAdaptor adaptor, String name,
            float[] values, int i, double delta) {
        float[] v = values.clone();
        v[i] += (float) delta;
        setParameter(adaptor, name, v);
        return trainer.meanLoss(TrainingFixtures.generated(3, 1));
    }

    private static void setParameter(TrainableAdaptor adaptor, String name, float[] values) {
        NDArray p = adaptor.parameters().get(name);
        try (NDManager m = NDManager.newBaseManager()) {
            NdArrays.assign(p, NdArrays.floats(m, values, p.getShape().getShape()));
        }
    }
}
