package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.train.EpochOrder;
import org.vlalign.core.train.StreamOrder;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.core.train.TrainingProgress;
import org.vlalign.core.train.WarmupCosineSchedule;
import org.vlalign.testing.TrainingFixtures;

class TrainingLoopTest extends TinyLlamaTestBase {

    private static TrainableAdaptor linear(long seed) {
        return TrainableAdaptor.linear(TrainingFixtures.FEATURE_DIM, TrainingFixtures.HIDDEN, seed);
    }

    @Test
    void should_equal_one_large_batch_when_accumulating_micro_batches() {
        List<TrainingExample> data = TrainingFixtures.generated(4, 1);
        Map<String, float[]> large;
        double largeLoss;
        try (TrainableAdaptor adaptor = linear(2L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor,
                        constant(0.01).microBatchSize(4).shuffle(false).maxGradNorm(0.5).build())) {
            largeLoss = loop.train(data).losses().get(0);
            large = adaptor.parameters().values();
        }
        try (TrainableAdaptor adaptor = linear(2L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor,
                        constant(0.01).microBatchSize(1).gradientAccumulation(4).shuffle(false).maxGradNorm(0.5)
                                .build())) {
            assertEquals(largeLoss, loop.train(data).losses().get(0), 1e-5);
            assertClose(large, adaptor.parameters().values(), 1e-5);
        }
    }

    @Test
    void should_continue_bit_for_bit_when_resumed_from_a_checkpoint(@TempDir Path dir) throws IOException {
        List<TrainingExample> data = TrainingFixtures.generated(6, 1);
        TrainingConfig.Builder cfg = TrainingConfig.builder().epochs(3).microBatchSize(2).gradientAccumulation(2)
                .seed(99L).schedule((perEpoch, total) -> new WarmupCosineSchedule(1e-3, 2e-2, perEpoch, total, 5e-3));
        List<Double> full;
        Map<String, float[]> fullParams;
        AdamW.State fullState;
        try (TrainableAdaptor adaptor = linear(4L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor, cfg.checkpointDir(dir.resolve("full")).build())) {
            TrainingResult r = loop.train(data);
            assertEquals(6, r.step()); // 2 steps per epoch (4 + 2 examples) × 3
            full = r.losses();
            fullParams = adaptor.parameters().values();
            fullState = loop.optimizer().state();
        }
        List<Double> resumed = new ArrayList<>();
        Path run = dir.resolve("interrupted");
        try (TrainableAdaptor adaptor = linear(4L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor,
                        cfg.checkpointDir(run).stopAfterSteps(3).lossLog(run.resolve("loss.csv")).build())) {
            TrainingResult r = loop.train(data);
            assertEquals(TrainingResult.StopReason.STEP_LIMIT, r.stopReason());
            assertEquals(3, r.step()); // stopped in the middle of epoch 1
            resumed.addAll(r.losses());
        }
        TrainingCheckpoint saved = TrainingCheckpoint.read(run.resolve(TrainingCheckpoint.FILE_NAME));
        assertEquals(1, saved.epoch());
        assertEquals(4, saved.position());
        assertEquals(AdaptorObjective.NAME, saved.objective());
        // a fresh adaptor with other initial values: everything must come from the checkpoint
        try (TrainableAdaptor adaptor = linear(77L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor,
                        cfg.checkpointDir(run).stopAfterSteps(0).lossLog(run.resolve("loss.csv")).build())) {
            TrainingResult r = loop.resume(run.resolve(TrainingCheckpoint.FILE_NAME), data);
            assertTrue(r.completed());
            assertEquals(6, r.step());
            resumed.addAll(r.losses());
            for (Map.Entry<String, float[]> e : fullParams.entrySet()) {
                assertArrayEquals(e.getValue(), adaptor.parameters().values().get(e.getKey()), 0f, e.getKey());
            }
            AdamW.State state = loop.optimizer().state();
            for (String k : fullState.m().keySet()) {
                assertArrayEquals(fullState.m().get(k), state.m().get(k), 0f, k);
                assertArrayEquals(fullState.v().get(k), state.v().get(k), 0f, k);
            }
        }
        assertEquals(full, resumed, "every step's loss, bit for bit");
        List<String> log = Files.readAllLines(run.resolve("loss.csv"));
        assertEquals(1 + 6, log.size(), log.toString()); // one header, then every step once
        for (int i = 0; i < 6; i++) {
            String[] cols = log.get(i + 1).split(",");
            assertEquals(i + 1, Long.parseLong(cols[0]));
            assertEquals(full.get(i), Double.parseDouble(cols[3]), 1e-6 * Math.max(1, full.get(i)), "step " + (i + 1));
        }
    }

    @Test
    void should_resume_a_stream_order_where_it_stopped(@TempDir Path dir) {
        List<float[]> data = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            data.add(new float[] {i, 1 - i, 0.5f * i});
        }
        TrainingConfig.Builder cfg = TrainingConfig.builder().microBatchSize(3).maxGradNorm(0.3)
                .schedule(new WarmupCosineSchedule(0, 0.1, 2, 8, 0.01)).checkpointDir(dir);
        float[] full;
        List<Double> fullLosses;
        try (LinearToyObjective toy = new LinearToyObjective(new float[] {0.1f, 0.2f, 0.3f});
                TrainingLoop<float[]> loop = TrainingLoop.create(toy, cfg.build())) {
            fullLosses = loop.train(StreamOrder.of(data, 3, 8, 5L, (x, r) -> x)).losses();
            full = toy.values();
        }
        List<Double> losses = new ArrayList<>();
        try (LinearToyObjective toy = new LinearToyObjective(new float[] {0.1f, 0.2f, 0.3f});
                TrainingLoop<float[]> loop = TrainingLoop.create(toy, cfg.stopAfterSteps(5).build())) {
            losses.addAll(loop.train(StreamOrder.of(data, 3, 8, 5L, (x, r) -> x)).losses());
        }
        try (LinearToyObjective toy = new LinearToyObjective(new float[] {9, 9, 9});
                TrainingLoop<float[]> loop = TrainingLoop.create(toy, cfg.stopAfterSteps(0).build())) {
            losses.addAll(loop.resume(dir.resolve(TrainingCheckpoint.FILE_NAME),
                    StreamOrder.of(data, 3, 8, 5L, (x, r) -> x)).losses());
            assertArrayEquals(full, toy.values(), 0f);
        }
        assertEquals(fullLosses, losses);
    }

    @Test
    void should_refuse_a_checkpoint_from_another_run_objective_or_batch_size(@TempDir Path dir) {
        List<TrainingExample> data = TrainingFixtures.generated(4, 1);
        TrainingConfig.Builder cfg = constant(0.01).microBatchSize(2).checkpointDir(dir).seed(1L);
        try (TrainableAdaptor adaptor = linear(4L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor, cfg.stopAfterSteps(1).build())) {
            loop.train(data);
        }
        Path file = dir.resolve(TrainingCheckpoint.FILE_NAME);
        try (TrainableAdaptor adaptor = linear(4L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor, cfg.seed(2L).build())) {
            assertThrows(CheckpointException.class, () -> loop.resume(file, data));
        }
        try (TrainableAdaptor adaptor = linear(4L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor, cfg.seed(1L).microBatchSize(1).build())) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> loop.resume(file, data));
            assertTrue(e.getMessage().contains("batch sizes"), e.getMessage());
        }
        try (TrainableAdaptor adaptor = TrainableAdaptor.mlp(TrainingFixtures.FEATURE_DIM, 8, TrainingFixtures.HIDDEN, 4L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor, cfg.microBatchSize(2).build())) {
            assertThrows(CheckpointException.class, () -> loop.resume(file, data), "other parameter keys");
        }
        try (LinearToyObjective toy = new LinearToyObjective(new float[3]);
                TrainingLoop<float[]> loop = TrainingLoop.create(toy, cfg.build())) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> loop.resume(file, List.of(new float[3], new float[3], new float[3], new float[3])));
            assertTrue(e.getMessage().contains(AdaptorObjective.NAME), e.getMessage());
        }
        try (TrainableAdaptor adaptor = linear(4L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor, cfg.build())) {
            Path exported = dir.resolve(AdaptorObjective.ADAPTOR_FILE);
            adaptor.export(exported);
            CheckpointException e = assertThrows(CheckpointException.class, () -> loop.resume(exported, data));
            assertTrue(e.getMessage().contains("not a vlalign training checkpoint"), e.getMessage());
        }
    }

    @Test
    void should_checkpoint_and_stop_when_the_wall_time_budget_is_spent(@TempDir Path dir) {
        try (TrainableAdaptor adaptor = linear(4L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor,
                        constant(0.01).microBatchSize(1).checkpointDir(dir).wallTimeBudget(Duration.ZERO).build())) {
            TrainingResult r = loop.train(TrainingFixtures.generated(4, 1));
            assertEquals(TrainingResult.StopReason.WALL_TIME_BUDGET, r.stopReason());
            assertEquals(1, r.step());
            assertEquals(dir.resolve(TrainingCheckpoint.FILE_NAME), r.checkpoint().orElseThrow());
            assertEquals(1, TrainingCheckpoint.read(r.checkpoint().get()).step());
        }
    }

    @Test
    void should_not_grow_native_arrays_over_steps() {
        try (TrainableAdaptor adaptor = linear(4L);
                TrainingLoop<TrainingExample> loop = adaptorLoop(adaptor, constant(0.01).microBatchSize(2).epochs(5)
                        .build())) {
            int lmArrays = ((ai.djl.ndarray.BaseNDManager) lm.model().manager()).getManagedArrays().size();
            ai.djl.ndarray.BaseNDManager adaptorManager =
                    (ai.djl.ndarray.BaseNDManager) adaptor.parameters().asMap().values().iterator().next().getManager();
            List<int[]> counts = new ArrayList<>();
            loop.addListener(p -> counts.add(new int[] {loop.managedArrays(),
                adaptorManager.getManagedArrays().size()}));
            loop.train(TrainingFixtures.generated(4, 1));
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
    void should_clip_the_gradient_to_the_max_norm_before_the_update() {
        // loss = mean over the step of w·x: the gradient is the mean x, here (3, 4) with norm 5
        List<float[]> data = List.of(new float[] {2, 4}, new float[] {4, 4});
        AdamW.Options adam = new AdamW.Options(0.9, 0.999, 1e-8, 0);
        for (double maxNorm : new double[] {0, 10, 0.5}) {
            try (LinearToyObjective toy = new LinearToyObjective(new float[] {1, -1});
                    TrainingLoop<float[]> loop = TrainingLoop.create(toy, TrainingConfig.builder().microBatchSize(1)
                            .gradientAccumulation(2).shuffle(false).maxGradNorm(maxNorm).adamW(adam)
                            .schedule(step -> 0.1).build())) {
                List<TrainingProgress> progress = new ArrayList<>();
                loop.addListener(progress::add);
                TrainingResult r = loop.train(data);
                assertEquals(1, r.step());
                assertEquals(5.0, progress.get(0).gradientNorm(), 1e-6, "the norm before clipping");
                assertEquals(3 * 1 + 4 * -1, r.losses().get(0), 1e-6, "the step's mean loss w·x̄");
                double scale = maxNorm > 0 && maxNorm < 5 ? maxNorm / (5 + 1e-6) : 1;
                float[] m = loop.optimizer().state().m().get(LinearToyObjective.KEY); // (1 − β₁)·g after one step
                assertArrayEquals(new float[] {(float) (0.1 * 3 * scale), (float) (0.1 * 4 * scale)}, m, 1e-6f,
                        "max norm " + maxNorm);
            }
        }
    }

    @Test
    void should_use_the_schedule_of_the_order_s_epochs_at_every_step() {
        List<float[]> data = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            data.add(new float[] {1, i});
        }
        List<Double> seen = new ArrayList<>();
        List<long[]> shape = new ArrayList<>();
        try (LinearToyObjective toy = new LinearToyObjective(new float[] {0, 0});
                TrainingLoop<float[]> loop = TrainingLoop.create(toy, TrainingConfig.builder().microBatchSize(2)
                        .epochs(3).schedule((perEpoch, total) -> {
                            shape.add(new long[] {perEpoch, total});
                            return new WarmupCosineSchedule(0.01, 0.1, perEpoch, total, 0.02);
                        }).build())) {
            loop.addListener(p -> seen.add(p.learningRate()));
            loop.train(data);
        }
        assertArrayEquals(new long[] {3, 9}, shape.get(0), "3 steps per epoch (2 + 2 + 1), 3 epochs");
        WarmupCosineSchedule expected = new WarmupCosineSchedule(0.01, 0.1, 3, 9, 0.02);
        assertEquals(9, seen.size());
        for (int s = 0; s < 9; s++) {
            assertEquals(expected.learningRate(s), seen.get(s), 0.0, "step " + s);
        }
    }

    @Test
    void should_train_an_objective_s_own_parameters_and_release_them_from_autograd_on_close() {
        List<float[]> data = List.of(new float[] {1, 2}, new float[] {3, -1});
        try (LinearToyObjective toy = new LinearToyObjective(new float[] {0.5f, 0.5f})) {
            int before = toy.arrays();
            try (TrainingLoop<float[]> loop = TrainingLoop.create(toy, constant(0.1).microBatchSize(2).epochs(4)
                    .build())) {
                assertTrue(toy.parameters().get(LinearToyObjective.KEY).hasGradient());
                double start = loop.meanLoss(data);
                loop.train(data);
                assertTrue(loop.meanLoss(data) < start, "the loss w·x̄ falls");
            }
            assertFalse(toy.parameters().get(LinearToyObjective.KEY).hasGradient(), "gradients off after close");
            assertEquals(before, toy.arrays(), "the objective's manager holds only its parameter");
        }
    }

    @Test
    void should_refuse_patterns_that_leave_nothing_to_train_and_an_order_at_another_step() {
        try (LinearToyObjective toy = new LinearToyObjective(new float[2])) {
            assertThrows(InvalidArgumentException.class,
                    () -> TrainingLoop.create(toy, TrainingConfig.builder().frozen("toy.*").build()));
            assertThrows(InvalidArgumentException.class,
                    () -> TrainingLoop.create(toy, TrainingConfig.builder().trainable("other.*").build()));
            try (TrainingLoop<float[]> loop = TrainingLoop.create(toy, TrainingConfig.builder().build())) {
                EpochOrder<float[]> order = loop.epochOrder(List.of(new float[2], new float[2]));
                order.next();
                assertThrows(InvalidArgumentException.class, () -> loop.train(order));
            }
        }
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
