package org.vlalign.model.recipe;

import org.vlalign.InvalidArgumentException;
import org.vlalign.core.train.LearningRateSchedule;
import org.vlalign.core.train.WarmupCosineSchedule;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.vlalign.core.train.StreamOrder;
import org.vlalign.train.AdamW;
import org.vlalign.train.TrainingConfig;

/**
 * Settings of a pre-training stage of the recipe (contrastive or language model): the {@link TrainingConfig}
 * of the training loop (one micro-batch per step, the schedule, AdamW, clipping) and the {@link StreamOrder}
 * its data is drawn in.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param steps optimiser steps, at least 1
 * @param batchSize examples per step, at least 2 (contrastive learning needs negatives)
 * @param peakLr the learning rate after warm-up; the schedule is linear warm-up from 0, then cosine to a
 *     tenth of it
 * @param warmupSteps warm-up steps, at most {@code steps}
 * @param weightDecay AdamW's decoupled weight decay
 * @param maxGradNorm global gradient-norm clip, 0 for none
 * @param seed the data-order seed
 * @since 0.1.0
 */
public record TrainOptions(long steps, int batchSize, double peakLr, long warmupSteps, double weightDecay,
        double maxGradNorm, long seed) {
    /** Validates. */
    public TrainOptions {
        if (steps < 1 || batchSize < 2 || !(peakLr > 0) || warmupSteps < 0 || warmupSteps > steps
                || !(weightDecay >= 0) || !(maxGradNorm >= 0)) {
            throw new InvalidArgumentException("training options need steps >= 1, batchSize >= 2, peakLr > 0,"
                    + " 0 <= warmupSteps <= steps, weightDecay >= 0 and maxGradNorm >= 0 but got steps=" + steps
                    + ", batchSize=" + batchSize + ", peakLr=" + peakLr + ", warmupSteps=" + warmupSteps
                    + ", weightDecay=" + weightDecay + ", maxGradNorm=" + maxGradNorm);
        }
    }

    /**
     * Options with a 10% warm-up, weight decay 0.05 and clipping at 1.
     *
     * @param steps optimiser steps
     * @param batchSize examples per step
     * @param peakLr the peak learning rate
     * @param seed the data-order seed
     * @return the options
     */
    public static TrainOptions of(long steps, int batchSize, double peakLr, long seed) {
        return new TrainOptions(steps, batchSize, peakLr, steps / 10, 0.05, 1.0, seed);
    }

    /**
     * The learning-rate schedule.
     *
     * @return warm-up from 0 to {@code peakLr}, cosine to {@code peakLr / 10} at {@code steps}
     */
    public LearningRateSchedule schedule() {
        return new WarmupCosineSchedule(0, peakLr, warmupSteps, steps, peakLr / 10);
    }

    /**
     * The training loop's settings: each step one micro-batch of {@code batchSize}, {@link #schedule()},
     * {@link #adamW()}, clipping at {@code maxGradNorm}.
     *
     * @return the config, without checkpoints
     * @since 0.2.0
     */
    public TrainingConfig config() {
        return TrainingConfig.builder().microBatchSize(batchSize).gradientAccumulation(1).schedule(schedule())
                .adamW(adamW()).maxGradNorm(maxGradNorm).seed(seed).build();
    }

    /**
     * The stage's data order: {@code steps} batches of {@code batchSize} from one stream seeded with
     * {@code seed}, exactly as the recipe's recorded runs drew them.
     *
     * @param data the dataset, at least {@code batchSize} elements
     * @param draw makes an element's training item, drawing from the stream if needed
     * @param <E> the dataset element
     * @param <T> the training item
     * @return the order at step 0
     * @since 0.2.0
     */
    public <E, T> StreamOrder<E, T> order(List<E> data, BiFunction<E, Random, T> draw) {
        return StreamOrder.of(data, batchSize, steps, seed, draw);
    }

    /**
     * The AdamW hyper-parameters: β 0.9/0.98 as in BLIP-2 pre-training, ε 1e-8.
     *
     * @return the options
     */
    public AdamW.Options adamW() {
        return new AdamW.Options(0.9, 0.98, 1e-8, weightDecay);
    }
}
