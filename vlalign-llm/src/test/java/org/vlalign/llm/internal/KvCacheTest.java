package org.vlalign.llm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Reordering shares blocks; writes after a reorder copy only the blocks they change. */
class KvCacheTest {
    private static final int KV = 4;

    private static void write(KvCache c, int row, int pos, float value) {
        float[] k = new float[KV];
        float[] v = new float[KV];
        java.util.Arrays.fill(k, value);
        java.util.Arrays.fill(v, -value);
        c.put(row, 0, pos, k, 0, v, 0);
    }

    private static float key(KvCache c, int row, int pos) {
        KvCache.Block b = c.block(row, 0, pos / KvCache.BLOCK);
        int o = (pos % KvCache.BLOCK) * KV;
        return b.k != null ? b.k[o] : Fp16.toFloat(b.hk[o]);
    }

    @Test
    void should_keep_fp16_keys_and_values_in_half_the_bytes() {
        KvCache full = new KvCache(1, KV);
        KvCache half = new KvCache(1, KV, true);
        full.reset(1);
        half.reset(1);
        for (int p = 0; p < 20; p++) {
            full.grow(0, p + 1);
            half.grow(0, p + 1);
            write(full, 0, p, p + 0.1f);
            write(half, 0, p, p + 0.1f);
        }
        assertEquals(full.bytes() / 2, half.bytes());
        assertEquals(2, half.elementBytes());
        for (int p = 0; p < 20; p++) {
            assertEquals(p + 0.1f, key(half, 0, p), (p + 1) * 0x1p-10f, "fp16 rounds to 11 significant bits");
            KvCache.Block b = half.block(0, 0, p / KvCache.BLOCK);
            assertEquals(-(p + 0.1f), Fp16.toFloat(b.hv[(p % KvCache.BLOCK) * KV]), (p + 1) * 0x1p-10f);
        }
        KvCache.Prefix prefix = half.freeze(0, 20);
        assertEquals(half.bytes(), prefix.bytes(), "a prefix counts fp16 blocks at 2 bytes a number");
        KvCache other = new KvCache(1, KV, true);
        other.reset(1);
        other.restore(0, prefix, 17);
        other.grow(0, 18);
        write(other, 0, 17, -5);
        assertEquals(-5f, key(other, 0, 17));
        assertEquals(17.1f, key(half, 0, 17), 18 * 0x1p-10f, "the frozen block was copied, not written");
        assertEquals(3.1f, key(other, 0, 3), 4 * 0x1p-10f, "restored positions read the prefix");
    }

    @Test
    void should_share_blocks_on_reorder_and_copy_a_shared_block_only_when_written() {
        KvCache c = new KvCache(1, KV);
        c.reset(2);
        for (int p = 0; p < 20; p++) {
            c.grow(0, p + 1);
            write(c, 0, p, p);
            c.grow(1, p + 1);
            write(c, 1, p, 100 + p);
        }
        long before = c.bytes();
        c.reorder(new int[] {0, 0}); // beam search keeps row 0 twice, drops row 1
        assertEquals(before / 2, c.bytes(), "both rows share row 0's two blocks");
        c.grow(1, 21);
        write(c, 1, 20, -1);
        c.grow(0, 21);
        write(c, 0, 20, 20);
        assertEquals(-1f, key(c, 1, 20));
        assertEquals(20f, key(c, 0, 20));
        for (int p = 0; p < 20; p++) {
            assertEquals((float) p, key(c, 0, p));
            assertEquals((float) p, key(c, 1, p), "row 1 kept row 0's history");
        }
        assertEquals(before / 2 + 2L * KvCache.BLOCK * KV * 4, c.bytes(), "one copied block for the shared last block");
        assertEquals(21, c.length(0));
        assertEquals(21, c.length(1));
    }

    @Test
    void should_drop_every_row() {
        KvCache c = new KvCache(2, KV);
        c.reset(3);
        c.grow(2, 5);
        c.reorder(new int[0]);
        assertEquals(0, c.rows());
        assertEquals(0, c.bytes());
    }
}
