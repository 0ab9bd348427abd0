package org.vlalign.torch.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.core.train.TrainingProgress;
import org.vlalign.torch.internal.adaptor.LinearAdaptor;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;

class AdaptorTrainerTest {

    @TempDir
    static Path shared;

    private static LlamaLanguageModel lm;
    private static final Llama2ChatPromptWrapper WRAPPER = Llama2ChatPromptWrapper.create()
            .withEosTokenId(TrainFixtures.EOS);

    @BeforeAll
    static void load() throws Exception {
        lm = LlamaLanguageModel.load(TrainFixtures.writeLlama(shared.resolve("llama"), 7L));
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private static TrainingConfig.Builder constant(double lr) {
        return TrainingConfig.builder().schedule(step -> lr).adamW(new AdamW.Options(0.9, 0.999, 1e-8, 0.0))
                .maxGradNorm(0);
    }

    /** Image i gets a caption made of words chosen by i, so the adaptor must read the features. */
    private static List<TrainingExample> generated(int images, int copies) {
        String[] colors = {"red", "blue", "green", "yellow"};
        String[] things = {"cat", "dog", "bird", "car"};
        String[] places = {"mat", "table", "tree", "road"};
        List<TrainingExample> out = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            for (int i = 0; i < images; i++) {
                out.add(TrainFixtures.caption("img" + i + ".jpg",
                        "a " + colors[i % 4] + " " + things[(i / 4 + i) % 4] + " on the " + places[(i + 2) % 4]));
            }
        }
        return out;
    }

    @Test
    void should_label_only_the_answer_and_eos_when_encoding_an_example() {
        TrainingExample ex = TrainingExample.of(Path.of("/images/x.jpg"), "what color is the cat", "red", "vqa");
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 1L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        TrainingConfig.builder().build())) {
            AdaptorTrainer.Encoded e = trainer.encode(ex, TrainFixtures.featuresOf(ex.image()));
            // <s> [INST] <image x4> what color is the cat [/INST] red </s>
            int[] expected = {TrainFixtures.BOS, TrainFixtures.id("[INST]"), -1, -1, -1, -1, TrainFixtures.id("what"),
                TrainFixtures.id("color"), TrainFixtures.id("is"), TrainFixtures.id("the"), TrainFixtures.id("cat"),
                TrainFixtures.id("[/INST]"), TrainFixtures.id("red"), TrainFixtures.EOS};
            assertArrayEquals(expected, e.ids());
            int[] labels = new int[expected.length];
            Arrays.fill(labels, AdaptorTrainer.IGNORE);
            labels[12] = TrainFixtures.id("red");
            labels[13] = TrainFixtures.EOS;
            assertArrayEquals(labels, e.labels());
            assertEquals(2, e.imageStart());
            assertEquals(2, e.answerTokens());
        }
    }

    @Test
    void should_reproduce_the_caption_when_overfitting_one_pair() {
        TrainingExample ex = TrainFixtures.caption("one.jpg", "a red bird sits near the tree");
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 3L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        constant(0.05).epochs(200).microBatchSize(1).build())) {
            double before = trainer.loss(List.of(ex));
            TrainingResult r = trainer.train(List.of(ex));
            double after = trainer.loss(List.of(ex));
            assertTrue(r.completed());
            assertEquals(200, r.step());
            assertTrue(after < 0.1 * before, "loss " + before + " -> " + after);
            Features embeddings = adaptor.adapt(TrainFixtures.featuresOf(ex.image()));
            Answer a = lm.generate(WRAPPER.wrap(embeddings, ""), GenerationConfig.builder().maxNewTokens(12).build());
            assertEquals(ex.answer(), a.text().strip());
            int[] expected = ex.answer().chars().count() == 0 ? new int[0]
                    : Arrays.stream(ex.answer().split(" ")).mapToInt(TrainFixtures::id).toArray();
            assertArrayEquals(expected, a.tokenIds(), "the caption's tokens");
            assertEquals(org.vlalign.FinishReason.EOS, a.finishReason(), "it learned to stop");
        }
    }

    @Test
    void should_lower_the_loss_well_below_its_start_on_generated_data() {
        List<TrainingExample> data = generated(8, 2);
        try (TrainableAdaptor adaptor = TrainableAdaptor.mlp(TrainFixtures.FEATURE_DIM, 48, TrainFixtures.HIDDEN, 5L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        TrainingConfig.builder().epochs(12).microBatchSize(4).gradientAccumulation(2).seed(11L)
                                .schedule((perEpoch, total) -> new org.vlalign.core.train.WarmupCosineSchedule(
                                        1e-3, 2e-2, perEpoch, total, 5e-3))
                                .build())) {
            double before = trainer.loss(data);
            List<TrainingProgress> progress = new ArrayList<>();
            trainer.addListener(progress::add);
            TrainingResult r = trainer.train(data);
            double after = trainer.loss(data);
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
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 9L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        constant(0.05).epochs(2).microBatchSize(2).build())) {
            Map<String, float[]> initial = adaptor.values();
            trainer.train(generated(4, 1));
            assertFalse(Arrays.equals(initial.get("weight"), adaptor.values().get("weight")), "the adaptor learns");
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
    void should_equal_one_large_batch_when_accumulating_micro_batches() {
        List<TrainingExample> data = generated(4, 1);
        Map<String, float[]> large;
        double largeLoss;
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 2L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        constant(0.01).microBatchSize(4).shuffle(false).maxGradNorm(0.5).build())) {
            largeLoss = trainer.train(data).losses().get(0);
            large = adaptor.values();
        }
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 2L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        constant(0.01).microBatchSize(1).gradientAccumulation(4).shuffle(false).maxGradNorm(0.5)
                                .build())) {
            assertEquals(largeLoss, trainer.train(data).losses().get(0), 1e-5);
            assertClose(large, adaptor.values(), 1e-5);
        }
    }

    @Test
    void should_continue_exactly_when_resumed_from_a_checkpoint(@TempDir Path dir) {
        List<TrainingExample> data = generated(6, 1);
        TrainingConfig.Builder cfg = TrainingConfig.builder().epochs(3).microBatchSize(2).gradientAccumulation(2)
                .seed(99L).schedule((perEpoch, total) -> new org.vlalign.core.train.WarmupCosineSchedule(
                        1e-3, 2e-2, perEpoch, total, 5e-3));
        List<Double> full;
        Map<String, float[]> fullParams;
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 4L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        cfg.checkpointDir(dir.resolve("full")).build())) {
            TrainingResult r = trainer.train(data);
            assertEquals(6, r.step()); // 2 steps per epoch (4 + 2 examples) × 3
            full = r.losses();
            fullParams = adaptor.values();
        }
        List<Double> resumed = new ArrayList<>();
        Path run = dir.resolve("interrupted");
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 4L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        cfg.checkpointDir(run).stopAfterSteps(3).lossLog(run.resolve("loss.csv")).build())) {
            TrainingResult r = trainer.train(data);
            assertEquals(TrainingResult.StopReason.STEP_LIMIT, r.stopReason());
            assertEquals(3, r.step()); // stopped in the middle of epoch 1
            resumed.addAll(r.losses());
        }
        TrainingCheckpoint saved = TrainingCheckpoint.read(run.resolve(TrainingCheckpoint.FILE_NAME));
        assertEquals(1, saved.epoch());
        assertEquals(4, saved.position());
        // a fresh adaptor with other initial values: everything must come from the checkpoint
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 77L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        cfg.checkpointDir(run).stopAfterSteps(0).lossLog(run.resolve("loss.csv")).build())) {
            TrainingResult r = trainer.resume(run.resolve(TrainingCheckpoint.FILE_NAME), data);
            assertTrue(r.completed());
            assertEquals(6, r.step());
            resumed.addAll(r.losses());
            assertClose(fullParams, adaptor.values(), 1e-5);
        }
        assertEquals(full.size(), resumed.size());
        for (int i = 0; i < full.size(); i++) {
            assertEquals(full.get(i), resumed.get(i), 1e-5 * Math.max(1, Math.abs(full.get(i))), "step " + (i + 1));
        }
        assertTrue(Files.exists(run.resolve(AdaptorTrainer.ADAPTOR_FILE)));
        try {
            List<String> log = Files.readAllLines(run.resolve("loss.csv"));
            assertEquals(1 + 6, log.size(), log.toString()); // one header, then every step once
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void should_refuse_a_checkpoint_from_another_run(@TempDir Path dir) {
        List<TrainingExample> data = generated(4, 1);
        TrainingConfig.Builder cfg = constant(0.01).microBatchSize(2).checkpointDir(dir).seed(1L);
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 4L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        cfg.stopAfterSteps(1).build())) {
            trainer.train(data);
        }
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 4L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        cfg.seed(2L).build())) {
            assertThrows(org.vlalign.CheckpointException.class,
                    () -> trainer.resume(dir.resolve(TrainingCheckpoint.FILE_NAME), data));
        }
    }

    @Test
    void should_checkpoint_and_stop_when_the_wall_time_budget_is_spent(@TempDir Path dir) {
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 4L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        constant(0.01).microBatchSize(1).checkpointDir(dir).wallTimeBudget(Duration.ZERO).build())) {
            TrainingResult r = trainer.train(generated(4, 1));
            assertEquals(TrainingResult.StopReason.WALL_TIME_BUDGET, r.stopReason());
            assertEquals(1, r.step());
            assertEquals(dir.resolve(TrainingCheckpoint.FILE_NAME), r.checkpoint().orElseThrow());
            assertEquals(1, TrainingCheckpoint.read(r.checkpoint().get()).step());
        }
    }

    @Test
    void should_not_grow_native_arrays_over_steps() {
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 4L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        constant(0.01).microBatchSize(2).epochs(5).build())) {
            int lmArrays = ((ai.djl.ndarray.BaseNDManager) lm.model().manager()).getManagedArrays().size();
            List<int[]> counts = new ArrayList<>();
            trainer.addListener(p -> counts.add(new int[] {trainer.managedArrays(),
                ((ai.djl.ndarray.BaseNDManager) adaptor.manager()).getManagedArrays().size()}));
            trainer.train(generated(4, 1));
            assertEquals(10, counts.size());
            for (int[] c : counts) {
                assertArrayEquals(counts.get(0), c);
            }
            assertEquals(0, counts.get(0)[0]);
            assertEquals(2, counts.get(0)[1]); // weight and bias, nothing else
            assertEquals(lmArrays, ((ai.djl.ndarray.BaseNDManager) lm.model().manager()).getManagedArrays().size());
        }
    }

    @Test
    void should_export_weights_that_linear_adaptor_loads(@TempDir Path dir) {
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 4L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        constant(0.05).microBatchSize(2).build())) {
            trainer.train(generated(4, 1));
            adaptor.export(dir.resolve("adaptor.safetensors"));
            Features f = TrainFixtures.featuresOf(Path.of("/images/img0.jpg"));
            try (LinearAdaptor loaded = LinearAdaptor.load(dir.resolve("adaptor.safetensors"));
                    TrainableAdaptor again = TrainableAdaptor.load(dir.resolve("adaptor.safetensors"))) {
                float[] expected = adaptor.adapt(f).data();
                assertArrayEquals(expected, loaded.adapt(f).data(), 1e-6f);
                assertArrayEquals(expected, again.adapt(f).data(), 0f);
            }
        }
    }

    @Test
    void should_reject_an_adaptor_that_does_not_fit_the_language_model() {
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, 20, 4L)) {
            assertThrows(InvalidArgumentException.class, () -> AdaptorTrainer.create(lm, WRAPPER, adaptor,
                    TrainFixtures.features(), TrainingConfig.builder().build()));
        }
    }

    @Test
    void should_compute_the_gradient_that_finite_differences_give() {
        List<TrainingExample> data = generated(3, 1);
        try (TrainableAdaptor adaptor = TrainableAdaptor.linear(TrainFixtures.FEATURE_DIM, TrainFixtures.HIDDEN, 8L);
                AdaptorTrainer trainer = AdaptorTrainer.create(lm, WRAPPER, adaptor, TrainFixtures.features(),
                        constant(1e-3).microBatchSize(2).gradientAccumulation(2).build())) {
            // central differences of the mean answer-token loss w.r.t. every parameter, in float64 sums
            double h = 1e-2;
            double squares = 0;
            Map<String, float[]> start = adaptor.values();
            Map<String, double[]> numeric = new java.util.LinkedHashMap<>();
            for (String name : adaptor.parameterNames()) {
                float[] v = start.get(name);
                double[] g = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    g[i] = (lossWith(trainer, adaptor, name, v, i, h) - lossWith(trainer, adaptor, name, v, i, -h)) / (2 * h);
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
            Map<String, float[]> after = adaptor.values();
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

    private static double lossWith(AdaptorTrainer trainer, TrainableAdaptor adaptor, String name, float[] values, int i,
            double delta) {
        float[] v = values.clone();
        v[i] += (float) delta;
        setParameter(adaptor, name, v);
        return trainer.loss(generated(3, 1));
    }

    private static void setParameter(TrainableAdaptor adaptor, String name, float[] values) {
        NDArray p = org.vlalign.torch.internal.NdArrays.floats(adaptor.manager(), values,
                adaptor.parameter(name).getShape().getShape());
        p.setRequiresGradient(true);
        adaptor.replaceParameter(name, p);
    }

    static void assertClose(Map<String, float[]> expected, Map<String, float[]> actual, double tol) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String k : expected.keySet()) {
            float[] e = expected.get(k);
            float[] a = actual.get(k);
            assertEquals(e.length, a.length);
            for (int i = 0; i < e.length; i++) {
                assertEquals(e[i], a[i], tol * Math.max(1, Math.abs(e[i])), k + "[" + i + "]");
            }
        }
    }
}
