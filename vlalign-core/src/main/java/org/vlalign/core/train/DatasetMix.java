package org.vlalign.core.train;

import java.util.ArrayList;
import java.util.List;
import org.vlalign.InvalidArgumentException;

/**
 * Mixes several example sources by ratio into one list, as the reference system's instruction stage
 * mixed VQA, object relationships and detailed captions 60/20/20.
 *
 * <p>Source {@code i} contributes {@code round(ratio_i / Σratio · size)} examples (largest remainders
 * make the counts sum to {@code size}), drawn from a seeded permutation of the source, cycling through
 * it again if it is smaller than its share. The result is itself shuffled with the seed. Stateless and
 * thread-safe.
 *
 * <pre>{@code
 * List<TrainingExample> mix = DatasetMix.mix(List.of(vqa, relations, captions),
 *         new double[] {0.6, 0.2, 0.2}, 10_000, 42L);
 * }</pre>
 *
 * @since 0.1.0
 */
public final class DatasetMix {

    private DatasetMix() {}

    /**
     * Mixes sources.
     *
     * @param sources the sources, each non-empty
     * @param ratios one non-negative weight per source, not all zero
     * @param size the size of the result
     * @param seed the seed of the draws and the final shuffle
     * @return the mixed examples
     * @throws InvalidArgumentException if the arguments do not fit together
     */
    public static List<TrainingExample> mix(List<List<TrainingExample>> sources, double[] ratios, int size, long seed) {
        if (sources == null || ratios == null || sources.size() != ratios.length || sources.isEmpty()) {
            throw new InvalidArgumentException("need one ratio per source, got " + (sources == null ? 0 : sources.size())
                    + " sources and " + (ratios == null ? 0 : ratios.length) + " ratios");
        }
        if (size < 0) {
            throw new InvalidArgumentException("size must be >= 0 but was " + size);
        }
        int[] counts = counts(ratios, size);
        List<TrainingExample> out = new ArrayList<>(size);
        for (int s = 0; s < sources.size(); s++) {
            List<TrainingExample> src = sources.get(s);
            if (counts[s] > 0 && (src == null || src.isEmpty())) {
                throw new InvalidArgumentException("source " + s + " is empty but has ratio " + ratios[s]);
            }
            int[] order = SeededShuffle.permutation(counts[s] > 0 ? src.size() : 0, SeededShuffle.epochSeed(seed, s));
            for (int i = 0; i < counts[s]; i++) {
                out.add(src.get(order[i % order.length]));
            }
        }
        int[] shuffle = SeededShuffle.permutation(out.size(), seed);
        List<TrainingExample> mixed = new ArrayList<>(out.size());
        for (int i : shuffle) {
            mixed.add(out.get(i));
        }
        return mixed;
    }

    /**
     * The number of examples per source.
     *
     * @param ratios the weights
     * @param size the total
     * @return the counts, summing to {@code size}
     */
    public static int[] counts(double[] ratios, int size) {
        double total = 0;
        for (double r : ratios) {
            if (!(r >= 0) || !Double.isFinite(r)) {
                throw new InvalidArgumentException("ratios must be finite and >= 0 but one is " + r);
            }
            total += r;
        }
        if (total <= 0) {
            throw new InvalidArgumentException("at least one ratio must be positive");
        }
        int[] counts = new int[ratios.length];
        double[] remainder = new double[ratios.length];
        int assigned = 0;
        for (int i = 0; i < ratios.length; i++) {
            double exact = ratios[i] / total * size;
            counts[i] = (int) Math.floor(exact);
            remainder[i] = exact - counts[i];
            assigned += counts[i];
        }
        while (assigned < size) {
            int best = 0;
            for (int i = 1; i < ratios.length; i++) {
                if (remainder[i] > remainder[best]) {
                    best = i;
                }
            }
            counts[best]++;
            remainder[best] = -1;
            assigned++;
        }
        return counts;
    }
}
