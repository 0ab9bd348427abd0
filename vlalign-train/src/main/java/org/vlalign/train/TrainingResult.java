package org.vlalign.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of {@link TrainingLoop#train} or {@link TrainingLoop#resume}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param step the optimiser steps done in total (including those before a resume)
 * @param totalSteps the planned optimiser steps
 * @param stopReason why the run returned
 * @param losses the loss of every step this call ran, in order
 * @param checkpoint the last checkpoint written, if any
 * @since 0.1.0
 */
public record TrainingResult(long step, long totalSteps, StopReason stopReason, List<Double> losses,
        Optional<Path> checkpoint) {

    /**
     * Why a run returned.
     *
     * @since 0.1.0
     */
    public enum StopReason {
        /** All planned steps are done. */
        COMPLETED,
        /** {@link TrainingConfig#stopAfterSteps()} was reached. */
        STEP_LIMIT,
        /** The next step would likely have exceeded {@link TrainingConfig#wallTimeBudget()}. */
        WALL_TIME_BUDGET
    }

    /** Copies. */
    public TrainingResult {
        losses = List.copyOf(losses);
    }

    /**
     * Whether every planned step is done.
     *
     * @return true if completed
     */
    public boolean completed() {
        return stopReason == StopReason.COMPLETED;
    }
}
