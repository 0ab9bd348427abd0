package org.vlalign.model.world;

import com.google.common.base.Verify;
/**
 * SplitMix64, a small PRNG whose output is fixed by its published algorithm, so scenes are the same
 * on every JVM (unlike {@code java.util.Random} subclasses whose algorithm may change between
 * releases). Not thread-safe; each scene builds its own.
 */
final class SplitMix {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private long state;

    SplitMix(long seed) {
        this.state = seed;
    }

    /** The SplitMix64 finaliser: a bijection of 64-bit values. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    /** Uniform in [0, 1). */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound). */
    int nextInt(int bound) {
        Verify.verify(bound > 0, "bound %s must be positive", bound); // every caller passes a count
        return (int) Math.floorMod(nextLong() >>> 1, (long) bound);
    }

    boolean nextBoolean() {
        return nextLong() < 0;
    }

    /** Uniform in [lo, hi). */
    double nextDouble(double lo, double hi) {
        return lo + (hi - lo) * nextDouble();
    }

    <T> T pick(java.util.List<T> items) {
        return items.get(nextInt(items.size()));
    }
}
