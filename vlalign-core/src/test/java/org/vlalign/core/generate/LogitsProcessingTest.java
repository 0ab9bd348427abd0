package org.vlalign.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LogitsProcessingTest {
    private static final double N = Double.NEGATIVE_INFINITY;

    @Test
    void should_penalise_each_seen_token_once_by_sign() {
        double[] scores = {2, -1, 0.5, -3, 4};
        boolean[] marks = new boolean[5];
        LogitsProcessing.repetitionPenalty(scores, new int[] {0, 1}, new int[] {1, 3, 3, 0}, 3, 2.0, marks);
        assertArrayEquals(new double[] {1, -2, 0.5, -6, 4}, scores);
        assertArrayEquals(new boolean[5], marks, "scratch is cleared");
    }

    @Test
    void should_keep_ties_with_the_kth_largest_in_top_k() {
        double[] scores = {1, 3, 2, 3, 0, 2};
        LogitsProcessing.topK(scores, 3, new double[3]);
        assertArrayEquals(new double[] {N, 3, 2, 3, N, 2}, scores);
    }

    @Test
    void should_keep_the_most_likely_token_in_top_p() {
        double[] scores = {Math.log(0.05), Math.log(0.9), Math.log(0.05)};
        LogitsProcessing.topP(scores, 0.01, new long[3]);
        assertEquals(N, scores[0]);
        assertEquals(Math.log(0.9), scores[1]);
        assertEquals(N, scores[2]);
    }

    @Test
    void should_select_the_same_top_n_as_a_full_sort() {
        Seeds.forEach("top candidates", 200, random -> {
            int size = 1 + random.nextInt(300);
            int n = 1 + random.nextInt(size + 5);
            // Few distinct values so ties are common: the lower id must win them.
            double[] values = random.ints(size, 0, 1 + random.nextInt(20)).asDoubleStream().toArray();
            TopCandidates top = new TopCandidates(1);
            top.reset(n);
            for (int i = 0; i < size; i++) {
                top.offer(values[i], i);
            }
            double[] gotScores = new double[n];
            int[] gotIds = new int[n];
            int count = top.drainBestFirst(gotScores, gotIds);
            int[] want = IntStream.range(0, size).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -values[i]).thenComparingInt(i -> i))
                    .limit(n).mapToInt(Integer::intValue).toArray();
            assertEquals(want.length, count);
            assertArrayEquals(want, Arrays.copyOf(gotIds, count));
            for (int i = 0; i < count; i++) {
                assertEquals(values[want[i]], gotScores[i]);
            }
        });
    }

    @Test
    void should_break_argmax_ties_towards_the_lowest_id() {
        assertEquals(1, LogitsProcessing.argmax(new double[] {0, 2, 1, 2}));
        assertEquals(1, Generator.argmax(new float[] {0, 2, 1, 2}));
    }
}
