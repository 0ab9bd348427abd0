package org.vlalign.core.train;

import org.vlalign.InvalidArgumentException;

/**
 * Linear warm-up from a start rate to a peak over {@code warmupSteps}, then cosine annealing from the
 * peak to a final rate at {@code totalSteps}; the final rate is kept after that.
 *
 * <p>For step {@code s}: {@code start + (peak − start)·s/warmup} while {@code s < warmup}, then
 * {@code final + (peak − final)·(1 + cos(π·t))/2} with {@code t = (s − warmup)/(total − warmup)}
 * clamped to [0, 1]. The reference system used {@link #alignment} (1e-6 → 1e-4 over the first epoch,
 * cosine to 8e-5) and {@link #instruction} (1e-6 → 3e-5, cosine to 1e-5).
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * LearningRateSchedule lr = WarmupCosineSchedule.alignment(stepsPerEpoch, 3 * stepsPerEpoch);
 * double first = lr.learningRate(0); // 1e-6
 * }</pre>
 *
 * @param startLr the rate of step 0
 * @param peakLr the rate reached at the end of the warm-up
 * @param warmupSteps the warm-up length in optimiser steps, at least 0
 * @param totalSteps the step at which the final rate is reached, at least {@code warmupSteps}
 * @param finalLr the rate at and after {@code totalSteps}
 * @since 0.1.0
 */
public record WarmupCosineSchedule(double startLr, double peakLr, long warmupSteps, long totalSteps, double finalLr)
        implements LearningRateSchedule {

    /** Validates. */
    public WarmupCosineSchedule {
        if (!(startLr >= 0) || !(peakLr >= 0) || !(finalLr >= 0)
                || !Double.isFinite(startLr + peakLr + finalLr)) {
            throw new InvalidArgumentException("learning rates must be finite and >= 0 but were start " + startLr
                    + ", peak " + peakLr + ", final " + finalLr);
        }
        if (warmupSteps < 0 || totalSteps < warmupSteps) {
            throw new InvalidArgumentException("need 0 <= warmupSteps <= totalSteps but warmupSteps=" + warmupSteps
                    + " and totalSteps=" + totalSteps);
        }
    }

    /**
     * The reference system's alignment stage: 1e-6 → 1e-4 over the first epoch, cosine to 8e-5.
     *
     * @param stepsPerEpoch optimiser steps in one epoch (the warm-up)
     * @param totalSteps optimiser steps of the whole run
     * @return the schedule
     */
    public static WarmupCosineSchedule alignment(long stepsPerEpoch, long totalSteps) {
        return new WarmupCosineSchedule(1e-6, 1e-4, stepsPerEpoch, Math.max(stepsPerEpoch, totalSteps), 8e-5);
    }

    /**
     * The reference system's instruction fine-tuning: 1e-6 → 3e-5 over the first epoch, cosine to 1e-5.
     *
     * @param stepsPerEpoch optimiser steps in one epoch (the warm-up)
     * @param totalSteps optimiser steps of the whole run
     * @return the schedule
     */
    public static WarmupCosineSchedule instruction(long stepsPerEpoch, long totalSteps) {
        return new WarmupCosineSchedule(1e-6, 3e-5, stepsPerEpoch, Math.max(stepsPerEpoch, totalSteps), 1e-5);
    }

    @Override
    public double learningRate(long step) {
        if (step < 0) {
            throw new InvalidArgumentException("step must be >= 0 but was " + step);
        }
        if (step < warmupSteps) {
            return startLr + (peakLr - startLr) * step / warmupSteps;
        }
        long span = totalSteps - warmupSteps;
        double t = span == 0 ? 1.0 : Math.min(1.0, (double) (step - warmupSteps) / span);
        return finalLr + (peakLr - finalLr) * 0.5 * (1 + Math.cos(Math.PI * t));
    }
}
