package org.vlalign.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;

/** {@link PatchAttention#toPatches} on hand-computed values, and its checks. */
class PatchAttentionTest {
    private static final Features TWO_ROWS = Features.of(new float[6], 2, 3);

    @Test
    void should_weight_each_rows_patch_attention_by_the_rows_weight() {
        // query 0 looks at the top row, query 1 mostly at the bottom right (CLS already left out)
        PatchAttention pa = new PatchAttention(TWO_ROWS, 2, 2, new float[] {0.5f, 0.5f, 0, 0, 0, 0.25f, 0.25f, 0.5f});
        assertArrayEquals(new float[] {0.1f, 0.25f, 0.15f, 0.3f}, pa.toPatches(new float[] {0.2f, 0.6f}), 1e-6f);
        assertArrayEquals(new float[] {0.15f, 0.175f, 0.025f, 0.05f}, pa.toPatches(new float[] {0.3f, 0.1f}), 1e-6f);
    }

    @Test
    void should_pass_weights_through_when_rows_are_patches() {
        PatchAttention pa = new PatchAttention(TWO_ROWS, 2, 1, null);
        assertArrayEquals(new float[] {0.2f, 0.6f}, pa.toPatches(new float[] {0.2f, 0.6f}));
    }

    @Test
    void should_refuse_inconsistent_shapes() {
        assertThrows(InvalidArgumentException.class, () -> new PatchAttention(TWO_ROWS, 3, 1, null));
        assertThrows(InvalidArgumentException.class, () -> new PatchAttention(TWO_ROWS, 2, 2, new float[7]));
        assertThrows(InvalidArgumentException.class,
                () -> new PatchAttention(TWO_ROWS, 1, 1, new float[] {-1f, 1f}));
        assertThrows(InvalidArgumentException.class,
                () -> new PatchAttention(TWO_ROWS, 2, 1, null).toPatches(new float[3]));
    }
}
