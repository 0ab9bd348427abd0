package org.vlalign.parity;

import java.util.Arrays;

/**
 * The attention masks of the parity checks: a case's mask, all ones when the case stores none, and the flat
 * flags of the positions a comparison keeps. Stateless.
 */
final class ParityMasks {
    private ParityMasks() {}

    /**
     * The case's mask tensor, or a mask of ones shaped like the ids when the case has none.
     *
     * @param c the case
     * @param name the mask tensor, e.g. {@code attention_mask}
     * @param ids the token ids the mask goes with, {@code (rows, length)}
     * @return the mask, {@code (rows, length)}
     */
    static long[][] maskOrOnes(ParityCase c, String name, long[][] ids) {
        return c.hasTensor(name) ? c.matrix(name) : ones(ids);
    }

    /**
     * A mask of ones shaped like the given rows.
     *
     * @param like the rows, e.g. token ids
     * @return a new mask of ones
     */
    static long[][] ones(long[][] like) {
        long[][] out = new long[like.length][];
        for (int i = 0; i < like.length; i++) {
            out[i] = new long[like[i].length];
            Arrays.fill(out[i], 1L);
        }
        return out;
    }

    /**
     * The mask flattened row by row, true where it is non-zero: the positions whose outputs are compared.
     *
     * @param mask the mask, {@code (rows, length)}, every row as long as the first
     * @return {@code rows * length} flags
     */
    static boolean[] flags(long[][] mask) {
        int cols = mask[0].length;
        boolean[] out = new boolean[mask.length * cols];
        for (int r = 0; r < mask.length; r++) {
            for (int t = 0; t < cols; t++) {
                out[r * cols + t] = mask[r][t] != 0;
            }
        }
        return out;
    }
}
