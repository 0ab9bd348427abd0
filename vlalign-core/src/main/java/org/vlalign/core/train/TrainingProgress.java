package org.vlalign.core.train;

import java.time.Duration;

/**
 * The state of a training run after one optimiser step.
 *
 * <p>Immutable and thread-safe.
 *
 * @param step the number of optimiser steps done (1 after the first update)
 * @param totalSteps the planned number of optimiser steps
 * @param epoch the 0-based epoch the step belongs to
 * @param positionInEpoch examples of this epoch consumed so far
 * @param loss the step's loss: the objective's weighted mean over the step's examples (for the adaptor,
 *     the mean cross-entropy over every answer token)
 * @param learningRate the learning rate the step used
 * @param gradientNorm the global gradient norm before clipping
 * @param examples the step's number of examples
 * @param examplesPerSecond throughput of this run so far (since start or resume)
 * @param eta the estimated time to finish, from that throughput
 * @since 0.1.0
 */
public record TrainingProgress(
        long step,
        long totalSteps,
        int epoch,
        int positionInEpoch,
        double loss,
        double learningRate,
        double gradientNorm,
        int examples,
        double examplesPerSecond,
        Duration eta) {}
