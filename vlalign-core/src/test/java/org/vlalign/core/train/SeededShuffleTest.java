package org.vlalign.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SeededShuffleTest {

    @Test
    void should_give_the_same_permutation_for_the_same_seed() {
        long seed = new Random().nextLong();
        int[] a = SeededShuffle.permutation(50, seed);
        assertArrayEquals(a, SeededShuffle.permutation(50, seed), "seed " + seed);
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 50; i++) {
            assertEquals(i, sorted[i], "not a permutation for seed " + seed);
        }
    }

    @Test
    void should_shuffle_epochs_differently() {
        long seed = 42;
        assertNotEquals(SeededShuffle.epochSeed(seed, 0), SeededShuffle.epochSeed(seed, 1));
        assertFalse(Arrays.equals(SeededShuffle.permutation(50, SeededShuffle.epochSeed(seed, 0)),
                SeededShuffle.permutation(50, SeededShuffle.epochSeed(seed, 1))));
        assertEquals(SeededShuffle.epochSeed(seed, 3), SeededShuffle.epochSeed(seed, 3));
    }

    @Test
    void should_handle_empty_and_single_sets() {
        assertEquals(0, SeededShuffle.permutation(0, 1).length);
        assertArrayEquals(new int[] {0}, SeededShuffle.permutation(1, 1));
    }

    @Test
    void should_draw_a_caller_random_stream_from_the_last_position_down() {
        // the trainers' recorded runs depend on this exact draw order: nextInt(n), nextInt(n - 1), ..., nextInt(2)
        Random reference = new Random(42);
        int[] expected = {0, 1, 2, 3, 4, 5, 6};
        for (int i = expected.length - 1; i > 0; i--) {
            int j = reference.nextInt(i + 1);
            int t = expected[i];
            expected[i] = expected[j];
            expected[j] = t;
        }
        Random stream = new Random(42);
        assertArrayEquals(expected, SeededShuffle.permutation(7, stream));
        assertEquals(reference.nextLong(), stream.nextLong(), "the stream advanced by exactly the draws made");
    }
}
