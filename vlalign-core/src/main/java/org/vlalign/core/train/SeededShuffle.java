package org.vlalign.core.train;

import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import org.vlalign.InvalidArgumentException;

/**
 * Reproducible orders: the per-epoch shuffle seed derived from a run seed, and Fisher–Yates
 * permutations from a seed.
 *
 * <p>The same (seed, epoch) always gives the same order on every JVM, which is what lets an
 * interrupted run resume in the middle of an epoch. Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class SeededShuffle {

    private SeededShuffle() {}

    /**
     * The shuffle seed of an epoch (SplitMix64 finaliser over seed and epoch).
     *
     * @param runSeed the run's seed
     * @param epoch the 0-based epoch
     * @return the epoch's seed
     */
    public static long epochSeed(long runSeed, int epoch) {
        long z = runSeed + 0x9E3779B97F4A7C15L * (epoch + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * A permutation of {@code 0 … n−1}.
     *
     * @param n the size, at least 0
     * @param seed the seed
     * @return the permutation
     */
    public static int[] permutation(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return fisherYates(n, random::nextInt);
    }

    /**
     * A permutation of {@code 0 … n−1} drawn from a caller's {@link Random}, advancing it (for loops that
     * reshuffle from one stream every epoch).
     *
     * @param n the size, at least 0
     * @param random the stream; not thread-safe, so one caller at a time
     * @return the permutation
     */
    public static int[] permutation(int n, Random random) {
        return fisherYates(n, random::nextInt);
    }

    /** Fisher–Yates from the last position down, drawing {@code nextInt(i + 1)} for each {@code i > 0}. */
    private static int[] fisherYates(int n, IntUnaryOperator nextInt) {
        if (n < 0) {
            throw new InvalidArgumentException("n must be >= 0 but was " + n);
        }
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt.applyAsInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
