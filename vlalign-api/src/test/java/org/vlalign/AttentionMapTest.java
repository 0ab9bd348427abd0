package org.vlalign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The aggregation rule of {@link AttentionMap#of} on hand-computed values, validation, and equality. */
class AttentionMapTest {

    @Test
    void should_normalise_each_token_and_average_the_tokens() {
        // token 0 sums to 0.8, token 1 to 0.4 on a 2x2 grid
        AttentionMap m = AttentionMap.of(2, 2, new float[][] {{0.1f, 0.25f, 0.15f, 0.3f}, {0.15f, 0.175f, 0.025f, 0.05f}});
        assertArrayEquals(new float[] {0.125f, 0.3125f, 0.1875f, 0.375f}, m.tokenWeights(0), 1e-6f);
        assertArrayEquals(new float[] {0.375f, 0.4375f, 0.0625f, 0.125f}, m.tokenWeights(1), 1e-6f);
        assertArrayEquals(new float[] {0.25f, 0.375f, 0.125f, 0.25f}, m.weights(), 1e-6f);
        assertEquals(2, m.tokens());
        assertEquals(1, m.peak());
        assertEquals(0.125f, m.weight(0, 1), 1e-6f);
    }

    @Test
    void should_refuse_maps_that_are_not_distributions() {
        assertThrows(InvalidArgumentException.class, () -> AttentionMap.of(2, 1, new float[][] {{0f, 0f}}));
        assertThrows(InvalidArgumentException.class, () -> AttentionMap.of(2, 1, new float[][] {{-1f, 2f}}));
        assertThrows(InvalidArgumentException.class, () -> AttentionMap.of(2, 1, new float[][] {{1f}}));
        assertThrows(InvalidArgumentException.class, () -> AttentionMap.of(2, 1, new float[0][]));
        assertThrows(InvalidArgumentException.class,
                () -> new AttentionMap(2, 1, new float[] {0.5f, 0.6f}, new float[0]));
        assertThrows(InvalidArgumentException.class,
                () -> new AttentionMap(2, 1, new float[] {0.5f, 0.5f}, new float[] {1f, 0f, 1f}));
        assertThrows(InvalidArgumentException.class, () -> AttentionMap.of(1, 1, new float[][] {{1f}}).weight(1, 0));
    }

    @Test
    void should_copy_arrays_and_compare_by_value() {
        float[] w = {0.5f, 0.5f};
        AttentionMap a = new AttentionMap(2, 1, w, w);
        w[0] = 9;
        assertEquals(0.5f, a.weights()[0]);
        a.weights()[0] = 7;
        assertEquals(0.5f, a.weight(0, 0));
        assertEquals(a, new AttentionMap(2, 1, new float[] {0.5f, 0.5f}, new float[] {0.5f, 0.5f}));
        assertNotEquals(a, new AttentionMap(1, 2, new float[] {0.5f, 0.5f}, new float[] {0.5f, 0.5f}));
        assertEquals(a.hashCode(), AttentionMap.of(2, 1, new float[][] {{1f, 1f}}).hashCode());
    }

    @Test
    void should_make_answers_with_different_maps_unequal() {
        Answer plain = new Answer("a", new int[] {3}, FinishReason.EOS, 0, 5, List.of(), Timings.ZERO);
        AttentionMap m = AttentionMap.of(2, 1, new float[][] {{1f, 3f}});
        Answer mapped = plain.withAttentionMap(m);
        assertTrue(plain.attentionMap().isEmpty());
        assertEquals(Optional.of(m), mapped.attentionMap());
        assertNotEquals(plain, mapped);
        assertEquals(mapped, plain.withAttentionMap(AttentionMap.of(2, 1, new float[][] {{1f, 3f}})));
        assertEquals(mapped, mapped.withTimings(Timings.ZERO));
        assertEquals(m, mapped.withTimings(Timings.ZERO).attentionMap().orElseThrow());
    }
}
