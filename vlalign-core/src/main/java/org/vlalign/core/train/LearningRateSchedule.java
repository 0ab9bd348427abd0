package org.vlalign.core.train;

/**
 * The learning rate as a function of the optimiser step.
 *
 * <p>Implementations are immutable and thread-safe.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /**
     * The learning rate of an optimiser step.
     *
     * @param step the 0-based index of the optimiser update (the first update is step 0)
     * @return the learning rate, at least 0
     */
    double learningRate(long step);
}
