package org.vlalign.core.index;

/**
 * The dot-product kernels of the exact scan, written so that C2 keeps eight independent
 * accumulators in registers (the scalar form of what Lucene's {@code VectorUtil} does without the
 * incubating Vector API).
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
final class VectorOps {
    private VectorOps() {}

    /**
     * The dot product of {@code q} with the row of {@code q.length} values at {@code offset} in
     * {@code data}.
     */
    static float dot(float[] q, float[] data, int offset) {
        int n = q.length;
        int i = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int bound = n & ~7;
        for (; i < bound; i += 8) {
            int o = offset + i;
            s0 = Math.fma(q[i], data[o], s0);
            s1 = Math.fma(q[i + 1], data[o + 1], s1);
            s2 = Math.fma(q[i + 2], data[o + 2], s2);
            s3 = Math.fma(q[i + 3], data[o + 3], s3);
            s4 = Math.fma(q[i + 4], data[o + 4], s4);
            s5 = Math.fma(q[i + 5], data[o + 5], s5);
            s6 = Math.fma(q[i + 6], data[o + 6], s6);
            s7 = Math.fma(q[i + 7], data[o + 7], s7);
        }
        for (; i < n; i++) {
            s0 = Math.fma(q[i], data[offset + i], s0);
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * The maximum over rows {@code [fromRow, toRow)} of {@code data} (row width {@code q.length}) of
     * the dot product with {@code q}.
     */
    static float maxDot(float[] q, float[] data, int fromRow, int toRow) {
        int dim = q.length;
        float best = Float.NEGATIVE_INFINITY;
        for (int r = fromRow; r < toRow; r++) {
            float s = dot(q, data, r * dim);
            if (s > best) {
                best = s;
            }
        }
        return best;
    }
}
