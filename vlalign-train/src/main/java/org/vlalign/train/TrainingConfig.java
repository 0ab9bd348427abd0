package org.vlalign.train;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BiFunction;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.train.EpochOrder;
import org.vlalign.core.train.LearningRateSchedule;
import org.vlalign.core.train.WarmupCosineSchedule;

/**
 * The settings of a {@link TrainingLoop} run.
 *
 * <p>The loop splits each optimiser step's examples into micro-batches of {@code microBatchSize} and
 * accumulates their gradients. For a list of examples ({@link TrainingLoop#train(java.util.List)}) a
 * step takes {@code microBatchSize × gradientAccumulation} of them in {@code epochs} seeded, shuffled
 * passes ({@link EpochOrder}; the last step of an epoch takes what is left); a run over another {@code
 * DataOrder} brings its own steps and ignores {@code epochs}, {@code gradientAccumulation}, {@code seed}
 * and {@code shuffle}. The schedule is built from (steps per epoch, total steps); the default is the
 * reference alignment stage ({@link WarmupCosineSchedule#alignment}).
 *
 * <p>{@code trainable} and {@code frozen} are key globs over the objective's parameters (see {@code
 * NamedParameters}): the loop trains the parameters matching any {@code trainable} pattern (all when
 * none is given) minus those matching a {@code frozen} one.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * TrainingConfig cfg = TrainingConfig.builder()
 *         .epochs(3).microBatchSize(4).gradientAccumulation(8)
 *         .schedule(WarmupCosineSchedule::instruction)
 *         .frozen("model.embed_tokens.weight")
 *         .checkpointDir(Path.of("run")).checkpointEvery(500).wallTimeBudget(Duration.ofHours(8))
 *         .build();
 * }</pre>
 *
 * @param epochs passes over a list of examples, at least 1
 * @param microBatchSize examples per forward/backward, at least 1
 * @param gradientAccumulation micro-batches per optimiser step over a list of examples, at least 1
 * @param schedule (steps per epoch, total steps) → learning-rate schedule
 * @param adamW the optimiser's hyper-parameters
 * @param maxGradNorm global-norm clipping threshold; 0 disables clipping
 * @param seed the run seed of a list's epoch order
 * @param shuffle whether a list's epochs are shuffled (else examples are used in list order)
 * @param trainable key globs of the parameters to train; empty for all the objective offers
 * @param frozen key globs of parameters to keep fixed even if {@code trainable} selects them
 * @param checkpointDir where checkpoints go, or null for none
 * @param checkpointEvery write a checkpoint every this many optimiser steps; 0 only at the end/stop
 * @param wallTimeBudget stop (with a checkpoint) before this much wall time has passed, or null
 * @param stopAfterSteps stop (with a checkpoint) once the run has done this many optimiser steps in
 *     total, 0 for no limit; simulates an interruption
 * @param lossLog the loss log file (CSV, or JSON lines for {@code .jsonl}), or null for none
 * @since 0.1.0
 */
public record TrainingConfig(
        int epochs,
        int microBatchSize,
        int gradientAccumulation,
        BiFunction<Long, Long, LearningRateSchedule> schedule,
        AdamW.Options adamW,
        double maxGradNorm,
        long seed,
        boolean shuffle,
        List<String> trainable,
        List<String> frozen,
        Path checkpointDir,
        long checkpointEvery,
        Duration wallTimeBudget,
        long stopAfterSteps,
        Path lossLog) {

    /** Validates and copies the pattern lists. */
    public TrainingConfig {
        if (epochs < 1 || microBatchSize < 1 || gradientAccumulation < 1) {
            throw new InvalidArgumentException("epochs, microBatchSize and gradientAccumulation must be >= 1 but were "
                    + epochs + ", " + microBatchSize + ", " + gradientAccumulation);
        }
        if (schedule == null || adamW == null || trainable == null || frozen == null) {
            throw new InvalidArgumentException("schedule, adamW, trainable and frozen must not be null");
        }
        if (!(maxGradNorm >= 0) || checkpointEvery < 0 || stopAfterSteps < 0
                || (wallTimeBudget != null && wallTimeBudget.isNegative())) {
            throw new InvalidArgumentException("maxGradNorm, checkpointEvery, stopAfterSteps and wallTimeBudget must"
                    + " be >= 0 but were " + maxGradNorm + ", " + checkpointEvery + ", " + stopAfterSteps + ", "
                    + wallTimeBudget);
        }
        trainable = List.copyOf(trainable);
        frozen = List.copyOf(frozen);
    }

    /**
     * The examples per optimiser step over a list of examples.
     *
     * @return {@code microBatchSize × gradientAccumulation}
     */
    public int effectiveBatchSize() {
        return microBatchSize * gradientAccumulation;
    }

    /**
     * A builder with the defaults: 1 epoch, micro-batch 4, no accumulation, the alignment schedule,
     * PyTorch's AdamW defaults, clipping at 1.0, seed 0, shuffled, every parameter trainable, no
     * checkpoints.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this config's values.
     *
     * @return the builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs;
        b.microBatchSize = microBatchSize;
        b.gradientAccumulation = gradientAccumulation;
        b.schedule = schedule;
        b.adamW = adamW;
        b.maxGradNorm = maxGradNorm;
        b.seed = seed;
        b.shuffle = shuffle;
        b.trainable = trainable;
        b.frozen = frozen;
        b.checkpointDir = checkpointDir;
        b.checkpointEvery = checkpointEvery;
        b.wallTimeBudget = wallTimeBudget;
        b.stopAfterSteps = stopAfterSteps;
        b.lossLog = lossLog;
        return b;
    }

    /**
     * Builds a {@link TrainingConfig}; not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private int epochs = 1;
        private int microBatchSize = 4;
        private int gradientAccumulation = 1;
        private BiFunction<Long, Long, LearningRateSchedule> schedule = WarmupCosineSchedule::alignment;
        private AdamW.Options adamW = AdamW.Options.DEFAULT;
        private double maxGradNorm = 1.0;
        private long seed;
        private boolean shuffle = true;
        private List<String> trainable = List.of();
        private List<String> frozen = List.of();
        private Path checkpointDir;
        private long checkpointEvery;
        private Duration wallTimeBudget;
        private long stopAfterSteps;
        private Path lossLog;

        private Builder() {}

        /**
         * Sets epochs.
         *
         * @param v the value
         * @return this builder
         */
        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        /**
         * Sets micro-batch size.
         *
         * @param v the value
         * @return this builder
         */
        public Builder microBatchSize(int v) {
            microBatchSize = v;
            return this;
        }

        /**
         * Sets micro-batches per step.
         *
         * @param v the value
         * @return this builder
         */
        public Builder gradientAccumulation(int v) {
            gradientAccumulation = v;
            return this;
        }

        /**
         * Sets (steps per epoch, total steps) → schedule.
         *
         * @param v the value
         * @return this builder
         */
        public Builder schedule(BiFunction<Long, Long, LearningRateSchedule> v) {
            schedule = v;
            return this;
        }

        /**
         * Sets a fixed schedule, whatever the run length.
         *
         * @param v the value
         * @return this builder
         */
        public Builder schedule(LearningRateSchedule v) {
            schedule = (perEpoch, total) -> v;
            return this;
        }

        /**
         * Sets optimiser hyper-parameters.
         *
         * @param v the value
         * @return this builder
         */
        public Builder adamW(AdamW.Options v) {
            adamW = v;
            return this;
        }

        /**
         * Sets clipping threshold, 0 for none.
         *
         * @param v the value
         * @return this builder
         */
        public Builder maxGradNorm(double v) {
            maxGradNorm = v;
            return this;
        }

        /**
         * Sets the run seed.
         *
         * @param v the value
         * @return this builder
         */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /**
         * Sets whether to shuffle epochs.
         *
         * @param v the value
         * @return this builder
         */
        public Builder shuffle(boolean v) {
            shuffle = v;
            return this;
        }

        /**
         * Trains only the parameters whose key matches one of these globs.
         *
         * @param globs key patterns, e.g. {@code model.layers.*.mlp.**}
         * @return this builder
         * @since 0.2.0
         */
        public Builder trainable(String... globs) {
            trainable = List.of(globs);
            return this;
        }

        /**
         * Keeps the parameters whose key matches one of these globs fixed.
         *
         * @param globs key patterns, e.g. {@code model.embed_tokens.weight}
         * @return this builder
         * @since 0.2.0
         */
        public Builder frozen(String... globs) {
            frozen = List.of(globs);
            return this;
        }

        /**
         * Sets checkpoint folder or null.
         *
         * @param v the value
         * @return this builder
         */
        public Builder checkpointDir(Path v) {
            checkpointDir = v;
            return this;
        }

        /**
         * Sets steps between checkpoints, 0 for none in between.
         *
         * @param v the value
         * @return this builder
         */
        public Builder checkpointEvery(long v) {
            checkpointEvery = v;
            return this;
        }

        /**
         * Sets wall-time budget or null.
         *
         * @param v the value
         * @return this builder
         */
        public Builder wallTimeBudget(Duration v) {
            wallTimeBudget = v;
            return this;
        }

        /**
         * Sets total optimiser steps after which to stop, 0 for none.
         *
         * @param v the value
         * @return this builder
         */
        public Builder stopAfterSteps(long v) {
            stopAfterSteps = v;
            return this;
        }

        /**
         * Sets loss log file or null.
         *
         * @param v the value
         * @return this builder
         */
        public Builder lossLog(Path v) {
            lossLog = v;
            return this;
        }

        /**
         * Builds the config.
         *
         * @return the config
         */
        public TrainingConfig build() {
            return new TrainingConfig(epochs, microBatchSize, gradientAccumulation, schedule, adamW, maxGradNorm, seed,
                    shuffle, trainable, frozen, checkpointDir, checkpointEvery, wallTimeBudget, stopAfterSteps,
                    lossLog);
        }
    }
}
