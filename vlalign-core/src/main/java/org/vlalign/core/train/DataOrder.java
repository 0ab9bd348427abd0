package org.vlalign.core.train;

import java.util.List;

/**
 * Which examples each optimiser step of a training run takes, in order: a cursor over a dataset that is
 * a pure function of its construction arguments (data, sizes, seed), so an interrupted run re-creates
 * it and {@link #seek}s to the step it stopped at.
 *
 * <p>Two implementations cover the project's runs: {@link EpochOrder} (a fresh seeded permutation per
 * epoch, the last step of an epoch taking what is left) and {@link StreamOrder} (fixed-size batches
 * from one random stream, reshuffled when fewer than a batch remain).
 *
 * <p>Not thread-safe: one training loop advances it.
 *
 * @param <T> the training item
 * @since 0.2.0
 */
public interface DataOrder<T> {

    /**
     * The examples of one optimiser step and where they sit in the run.
     *
     * @param examples the step's examples, at least one
     * @param epoch the 0-based epoch they belong to
     * @param positionInEpoch the examples of that epoch consumed once this step is done
     * @param <T> the training item
     * @since 0.2.0
     */
    record Batch<T>(List<T> examples, int epoch, int positionInEpoch) {
        /** Copies the list. */
        public Batch {
            examples = List.copyOf(examples);
        }
    }

    /**
     * The shape of a run: fixed when the order is made.
     *
     * @param totalSteps the planned optimiser steps, at least 1
     * @param stepsPerEpoch the optimiser steps of one pass over the data, for schedules measured in epochs
     * @param stepSize the examples a full step takes
     * @param datasetSize the number of examples the order draws from
     * @param seed the seed the order derives from
     * @since 0.2.0
     */
    record Plan(long totalSteps, long stepsPerEpoch, int stepSize, int datasetSize, long seed) {}

    /**
     * Where the cursor stands: before the step {@link #next()} returns.
     *
     * @param step the steps taken so far
     * @param epoch the epoch of the next step's first example
     * @param positionInEpoch the examples of that epoch consumed before the next step
     * @since 0.2.0
     */
    record Position(long step, int epoch, int positionInEpoch) {}

    /**
     * The shape of the run.
     *
     * @return the plan
     */
    Plan plan();

    /**
     * Where the cursor stands.
     *
     * @return the position
     */
    Position position();

    /**
     * Whether planned steps remain.
     *
     * @return whether the position's step is before the plan's total
     */
    default boolean hasNext() {
        return position().step() < plan().totalSteps();
    }

    /**
     * The next step's examples.
     *
     * @return the batch
     * @throws IllegalStateException if every planned step was taken
     */
    Batch<T> next();

    /**
     * Positions the cursor so that {@link #next()} returns the examples of step {@code step}, exactly as
     * an uninterrupted run would have reached them.
     *
     * @param step the 0-based step, at most the plan's total
     * @throws org.vlalign.InvalidArgumentException if the step is outside the run
     */
    void seek(long step);
}
