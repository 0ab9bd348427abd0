package org.vlalign.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class DatasetMixTest {

    private static List<TrainingExample> source(String type, int n) {
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(TrainingExample.of(Path.of(type + i + ".jpg"), "q", "a" + i, type));
        }
        return out;
    }

    @Test
    void should_mix_sources_by_ratio() {
        List<TrainingExample> mix = DatasetMix.mix(List.of(source("vqa", 100), source("rel", 7), source("cap", 50)),
                new double[] {0.6, 0.2, 0.2}, 1000, 5L);
        assertEquals(1000, mix.size());
        assertEquals(600, mix.stream().filter(e -> e.type().equals("vqa")).count());
        assertEquals(200, mix.stream().filter(e -> e.type().equals("rel")).count()); // cycles through 7
        assertEquals(200, mix.stream().filter(e -> e.type().equals("cap")).count());
        assertEquals(mix, DatasetMix.mix(List.of(source("vqa", 100), source("rel", 7), source("cap", 50)),
                new double[] {0.6, 0.2, 0.2}, 1000, 5L));
    }

    @Test
    void should_split_counts_by_largest_remainder() {
        assertArrayEquals(new int[] {4, 3, 3}, DatasetMix.counts(new double[] {1, 1, 1}, 10));
        assertArrayEquals(new int[] {6, 2, 2}, DatasetMix.counts(new double[] {60, 20, 20}, 10));
        assertArrayEquals(new int[] {0, 5}, DatasetMix.counts(new double[] {0, 3}, 5));
    }

    @Test
    void should_reject_mismatched_or_empty_sources() {
        assertThrows(InvalidArgumentException.class,
                () -> DatasetMix.mix(List.of(source("a", 1)), new double[] {1, 1}, 4, 0));
        assertThrows(InvalidArgumentException.class,
                () -> DatasetMix.mix(List.of(source("a", 1), List.of()), new double[] {1, 1}, 4, 0));
        assertThrows(InvalidArgumentException.class, () -> DatasetMix.counts(new double[] {0, 0}, 4));
    }
}
