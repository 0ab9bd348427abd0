package org.vlalign.core.generate;

import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Seeded-random property checks: runs a body with a random source for each of a series of seeds and names
 * the failing seed.
 *
 * <p>The base seed is random unless {@code -Dvlalign.tests.seed=N} fixes it; a failure message gives
 * the exact property to rerun the failing case first.
 */
final class Seeds {
    private Seeds() {}

    static void forEach(String property, int count, Consumer<SplittableRandom> body) {
        long base = Long.getLong("vlalign.tests.seed", System.nanoTime());
        for (int i = 0; i < count; i++) {
            long seed = base + i;
            try {
                body.accept(new SplittableRandom(seed));
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError(
                        property + " failed for seed " + seed + " (rerun with -Dvlalign.tests.seed="
                                + seed + "): " + e.getMessage(), e);
            }
        }
    }
}
