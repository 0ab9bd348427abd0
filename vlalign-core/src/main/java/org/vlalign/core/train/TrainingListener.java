package org.vlalign.core.train;

import java.nio.file.Path;

/**
 * Receives training progress.
 *
 * <p>Called on the training thread, in step order; implementations need not be thread-safe unless they
 * are shared between runs.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface TrainingListener {

    /**
     * After each optimiser step.
     *
     * @param progress the step's record
     */
    void onStep(TrainingProgress progress);

    /**
     * After a checkpoint was written.
     *
     * @param checkpoint the checkpoint file
     * @param step the optimiser steps it contains
     */
    default void onCheckpoint(Path checkpoint, long step) {}
}
