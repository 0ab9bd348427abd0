package org.vlalign.llm.internal;

import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch-1 products of the block-quantised formats with one vector, the stream that decides decode speed,
 * on 256-bit vectors (AVX2, and AVX-512 at half width; {@link VectorKernels} uses it only there).
 *
 * <p>The usual way to widen a weight byte (sign-extend it to an int lane, then convert) spends a shuffle
 * on every eight weights, and the shuffle port is what limited the old kernel on AVX2. Here a block's
 * bytes are loaded as eight int lanes, and each weight is isolated in its lane with one {@code and} or
 * shift, leaving it scaled by a power of two: byte {@code k} of lane {@code i} is
 * {@code u · 2^(8k)}. The vector is permuted and scaled to match, once per product: lane {@code i} of
 * part {@code k} holds {@code x[4i + k] · 2^(−8k)}. Products of powers of two are exact, so the only
 * rounding is the float arithmetic's, as in the direct kernel.
 *
 * <p>The Q8 bytes are made unsigned by flipping their top bits ({@code q + 128}); the Q4 nibbles are
 * unsigned already ({@code n − 8} is the code). The offset comes back as one term per block,
 * {@code −offset · Σ x}, which each block's accumulator starts from.
 *
 * <p>Q4 covers two blocks per vector (lanes 0–3 the first block's 16 bytes, lanes 4–7 the second's), so
 * it needs an even number of blocks per row; {@link #fitsQ4} says when. Stateless apart from a per-thread
 * scratch array for the prepared vector; thread-safe.
 *
 * <p>Conversions and reinterpretations are called as {@code convertShape} and {@code reinterpretShape}
 * with an explicit species, never as the generic {@code convert} or {@code reinterpretAsInts}: those are
 * {@code AbstractVector} methods whose inner virtual call keeps one profile for every caller in the JVM, and
 * when other kernels' vector classes pollute it the JIT does not inline it and the operation runs as plain
 * Java, ten times slower (seen in one run in five or six on JDK 17, once for each method).
 */
final class StreamKernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final int BLOCK = Kernels.BLOCK;
    /** Exact powers of two that undo the position of Q8 byte {@code k} inside its int lane. */
    private static final float[] Q8_SCALE = {1f, 0x1p-8f, 0x1p-16f, 1f};
    /** Which of a block's weights lane {@code j % 8} of Q8 part {@code j / 8} holds. */
    private static final int[] Q8_ORDER = new int[BLOCK];
    /** Which of two blocks' weights lane {@code j % 8} of Q4 part {@code j / 8} holds (0–63). */
    private static final int[] Q4_ORDER = new int[2 * BLOCK];
    private static final float[] Q4_SCALE = new float[2 * BLOCK];
    /** Indicator vectors of the first and second block's lanes in a Q4 vector. */
    private static final FloatVector FIRST = FloatVector.fromArray(F, new float[] {1, 1, 1, 1, 0, 0, 0, 0}, 0);
    private static final FloatVector SECOND = FloatVector.fromArray(F, new float[] {0, 0, 0, 0, 1, 1, 1, 1}, 0);
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    static {
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < 8; i++) {
                Q8_ORDER[k * 8 + i] = 4 * i + k;
            }
        }
        for (int m = 0; m < 8; m++) { // nibble m of an int lane: byte m / 2, low or high half
            for (int lane = 0; lane < 8; lane++) {
                int i = lane % 4;
                Q4_ORDER[m * 8 + lane] = (lane / 4) * BLOCK + 4 * i + m / 2 + (m % 2) * (BLOCK / 2);
                Q4_SCALE[m * 8 + lane] = m == 7 ? 1f : Math.scalb(1f, -4 * m);
            }
        }
    }

    private StreamKernels() {}

    /**
     * Whether {@link #matvecQ4} can take rows of this many blocks.
     *
     * @param blocksPerRow blocks per row
     * @return true when it is even
     */
    static boolean fitsQ4(int blocksPerRow) {
        return blocksPerRow % 2 == 0;
    }

    /** A thread's scratch of at least {@code n} floats. */
    private static float[] scratch(int n) {
        float[] s = SCRATCH.get();
        if (s.length < n) {
            s = new float[n];
            SCRATCH.set(s);
        }
        return s;
    }

    /**
     * Rows {@code r0} to {@code r1} of a Q8 matrix times {@code x}.
     *
     * @param q the codes, {@code blocksPerRow · 32} bytes a row
     * @param d the fp16 scales, {@code blocksPerRow} a row
     * @param blocksPerRow blocks per row
     * @param r0 the first row
     * @param r1 the row after the last
     * @param x the vector
     * @param xOff its offset
     * @param y the results, row {@code r0}'s at {@code yOff}
     * @param yOff the offset of row {@code r0}'s result
     * @return the first row not done: the rows after the last whole group of four are left to the caller
     */
    static int matvecQ8(byte[] q, short[] d, int blocksPerRow, int r0, int r1, float[] x, int xOff, float[] y,
            int yOff) {
        int cols = blocksPerRow * BLOCK;
        float[] s = scratch(cols + blocksPerRow);
        int xcOff = cols; // one offset term per block after the permuted vector
        for (int b = 0; b < blocksPerRow; b++) {
            int o = b * BLOCK;
            float sum = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = x[xOff + o + Q8_ORDER[j]];
                sum += v;
                s[o + j] = v * Q8_SCALE[j >> 3];
            }
            s[xcOff + b] = -128f * sum / 8;
        }
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            rows4Q8(q, d, blocksPerRow, r, s, y, yOff + r - r0);
        }
        return r;
    }

    /**
     * Rows {@code r0} to {@code r1} of a Q4 matrix times {@code x}; needs {@link #fitsQ4}.
     *
     * @param q the codes, {@code blocksPerRow · 16} bytes a row
     * @param d the fp16 scales, {@code blocksPerRow} a row
     * @param blocksPerRow blocks per row, even
     * @param r0 the first row
     * @param r1 the row after the last
     * @param x the vector
     * @param xOff its offset
     * @param y the results, row {@code r0}'s at {@code yOff}
     * @param yOff the offset of row {@code r0}'s result
     * @return the first row not done: the rows after the last whole group of four are left to the caller
     */
    static int matvecQ4(byte[] q, short[] d, int blocksPerRow, int r0, int r1, float[] x, int xOff, float[] y,
            int yOff) {
        int cols = blocksPerRow * BLOCK;
        float[] s = scratch(cols + cols / 8);
        int xcOff = cols; // eight offset terms (one per lane) per pair of blocks after the permuted vector
        for (int g = 0; g < blocksPerRow / 2; g++) {
            int o = g * 2 * BLOCK;
            for (int j = 0; j < 2 * BLOCK; j++) {
                s[o + j] = x[xOff + o + Q4_ORDER[j]] * Q4_SCALE[j];
            }
            for (int h = 0; h < 2; h++) {
                float sum = 0;
                for (int j = 0; j < BLOCK; j++) {
                    sum += x[xOff + o + h * BLOCK + j];
                }
                for (int lane = 0; lane < 4; lane++) {
                    s[xcOff + g * 8 + h * 4 + lane] = -8f * sum / 4;
                }
            }
        }
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            rows4Q4(q, d, blocksPerRow, r, s, y, yOff + r - r0);
        }
        return r;
    }

    /** Four rows from {@code r} times the prepared vector {@code s}, into {@code y[yo ..]}. */
    private static void rows4Q8(byte[] q, short[] d, int blocksPerRow, int r, float[] s, float[] y, int yo) {
        float[] table = Fp16.TABLE;
        int cols = blocksPerRow * BLOCK;
        int xcOff = cols;
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int first = r * blocksPerRow;
        int rowBytes = cols;
        for (int b = 0; b < blocksPerRow; b++) {
            int qo = (first + b) * BLOCK;
            int xo = b * BLOCK;
            FloatVector x0 = FloatVector.fromArray(F, s, xo);
            FloatVector x1 = FloatVector.fromArray(F, s, xo + 8);
            FloatVector x2 = FloatVector.fromArray(F, s, xo + 16);
            FloatVector x3 = FloatVector.fromArray(F, s, xo + 24);
            FloatVector c = FloatVector.broadcast(F, s[xcOff + b]);
            // Four rows written out, each loaded just before its use: a vector returned from a helper that is
            // not inlined is boxed, and four loaded rows held at once spill registers on AVX2.
            int db = first + b;
            IntVector v0 = (IntVector) ByteVector.fromArray(B, q, qo).reinterpretShape(I, 0)
                    .lanewise(VectorOperators.XOR, 0x80808080);
            FloatVector s0 = ((FloatVector) v0.and(0xff).convertShape(I2F, F, 0)).fma(x0, c);
            FloatVector t0 = ((FloatVector) v0.and(0xff00).convertShape(I2F, F, 0)).mul(x1);
            s0 = ((FloatVector) v0.and(0xff0000).convertShape(I2F, F, 0)).fma(x2, s0);
            t0 = ((FloatVector) v0.lanewise(LSHR, 24).convertShape(I2F, F, 0)).fma(x3, t0);
            acc0 = s0.add(t0).fma(FloatVector.broadcast(F, table[d[db] & 0xffff]), acc0);
            IntVector v1 = (IntVector) ByteVector.fromArray(B, q, qo + rowBytes).reinterpretShape(I, 0)
                    .lanewise(VectorOperators.XOR, 0x80808080);
            FloatVector s1 = ((FloatVector) v1.and(0xff).convertShape(I2F, F, 0)).fma(x0, c);
            FloatVector t1 = ((FloatVector) v1.and(0xff00).convertShape(I2F, F, 0)).mul(x1);
            s1 = ((FloatVector) v1.and(0xff0000).convertShape(I2F, F, 0)).fma(x2, s1);
            t1 = ((FloatVector) v1.lanewise(LSHR, 24).convertShape(I2F, F, 0)).fma(x3, t1);
            acc1 = s1.add(t1).fma(FloatVector.broadcast(F, table[d[db + blocksPerRow] & 0xffff]), acc1);
            IntVector v2 = (IntVector) ByteVector.fromArray(B, q, qo + 2 * rowBytes).reinterpretShape(I, 0)
                    .lanewise(VectorOperators.XOR, 0x80808080);
            FloatVector s2 = ((FloatVector) v2.and(0xff).convertShape(I2F, F, 0)).fma(x0, c);
            FloatVector t2 = ((FloatVector) v2.and(0xff00).convertShape(I2F, F, 0)).mul(x1);
            s2 = ((FloatVector) v2.and(0xff0000).convertShape(I2F, F, 0)).fma(x2, s2);
            t2 = ((FloatVector) v2.lanewise(LSHR, 24).convertShape(I2F, F, 0)).fma(x3, t2);
            acc2 = s2.add(t2).fma(FloatVector.broadcast(F, table[d[db + 2 * blocksPerRow] & 0xffff]), acc2);
            IntVector v3 = (IntVector) ByteVector.fromArray(B, q, qo + 3 * rowBytes).reinterpretShape(I, 0)
                    .lanewise(VectorOperators.XOR, 0x80808080);
            FloatVector s3 = ((FloatVector) v3.and(0xff).convertShape(I2F, F, 0)).fma(x0, c);
            FloatVector t3 = ((FloatVector) v3.and(0xff00).convertShape(I2F, F, 0)).mul(x1);
            s3 = ((FloatVector) v3.and(0xff0000).convertShape(I2F, F, 0)).fma(x2, s3);
            t3 = ((FloatVector) v3.lanewise(LSHR, 24).convertShape(I2F, F, 0)).fma(x3, t3);
            acc3 = s3.add(t3).fma(FloatVector.broadcast(F, table[d[db + 3 * blocksPerRow] & 0xffff]), acc3);
        }
        y[yo] = acc0.reduceLanes(VectorOperators.ADD);
        y[yo + 1] = acc1.reduceLanes(VectorOperators.ADD);
        y[yo + 2] = acc2.reduceLanes(VectorOperators.ADD);
        y[yo + 3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /** Four rows from {@code r} times the prepared vector {@code s}, into {@code y[yo ..]}. */
    private static void rows4Q4(byte[] q, short[] d, int blocksPerRow, int r, float[] s, float[] y, int yo) {
        float[] table = Fp16.TABLE;
        int cols = blocksPerRow * BLOCK;
        int xcOff = cols;
        int rowBytes = blocksPerRow * (BLOCK / 2);
            FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int first = r * blocksPerRow;
        for (int b = 0; b < blocksPerRow; b += 2) {
            int qo = (first + b) * (BLOCK / 2);
            int xo = b * BLOCK;
            FloatVector x0 = FloatVector.fromArray(F, s, xo);
            FloatVector x1 = FloatVector.fromArray(F, s, xo + 8);
            FloatVector x2 = FloatVector.fromArray(F, s, xo + 16);
            FloatVector x3 = FloatVector.fromArray(F, s, xo + 24);
            FloatVector x4 = FloatVector.fromArray(F, s, xo + 32);
            FloatVector x5 = FloatVector.fromArray(F, s, xo + 40);
            FloatVector x6 = FloatVector.fromArray(F, s, xo + 48);
            FloatVector x7 = FloatVector.fromArray(F, s, xo + 56);
            FloatVector c = FloatVector.fromArray(F, s, xcOff + b * 4);
            int db = first + b;
            IntVector v0 = (IntVector) ByteVector.fromArray(B, q, qo).reinterpretShape(I, 0);
            FloatVector s0 = ((FloatVector) v0.and(0xf).convertShape(I2F, F, 0)).fma(x0, c);
            FloatVector t0 = ((FloatVector) v0.and(0xf0).convertShape(I2F, F, 0)).mul(x1);
            s0 = ((FloatVector) v0.and(0xf00).convertShape(I2F, F, 0)).fma(x2, s0);
            t0 = ((FloatVector) v0.and(0xf000).convertShape(I2F, F, 0)).fma(x3, t0);
            s0 = ((FloatVector) v0.and(0xf0000).convertShape(I2F, F, 0)).fma(x4, s0);
            t0 = ((FloatVector) v0.and(0xf00000).convertShape(I2F, F, 0)).fma(x5, t0);
            s0 = ((FloatVector) v0.and(0xf000000).convertShape(I2F, F, 0)).fma(x6, s0);
            t0 = ((FloatVector) v0.lanewise(LSHR, 28).convertShape(I2F, F, 0)).fma(x7, t0);
            acc0 = s0.add(t0).fma(SECOND.fma(FloatVector.broadcast(F, table[d[db + 1] & 0xffff]),
                    FIRST.mul(table[d[db] & 0xffff])), acc0);
            IntVector v1 = (IntVector) ByteVector.fromArray(B, q, qo + rowBytes).reinterpretShape(I, 0);
            FloatVector s1 = ((FloatVector) v1.and(0xf).convertShape(I2F, F, 0)).fma(x0, c);
            FloatVector t1 = ((FloatVector) v1.and(0xf0).convertShape(I2F, F, 0)).mul(x1);
            s1 = ((FloatVector) v1.and(0xf00).convertShape(I2F, F, 0)).fma(x2, s1);
            t1 = ((FloatVector) v1.and(0xf000).convertShape(I2F, F, 0)).fma(x3, t1);
            s1 = ((FloatVector) v1.and(0xf0000).convertShape(I2F, F, 0)).fma(x4, s1);
            t1 = ((FloatVector) v1.and(0xf00000).convertShape(I2F, F, 0)).fma(x5, t1);
            s1 = ((FloatVector) v1.and(0xf000000).convertShape(I2F, F, 0)).fma(x6, s1);
            t1 = ((FloatVector) v1.lanewise(LSHR, 28).convertShape(I2F, F, 0)).fma(x7, t1);
            int d1 = db + blocksPerRow;
            acc1 = s1.add(t1).fma(SECOND.fma(FloatVector.broadcast(F, table[d[d1 + 1] & 0xffff]),
                    FIRST.mul(table[d[d1] & 0xffff])), acc1);
            IntVector v2 = (IntVector) ByteVector.fromArray(B, q, qo + 2 * rowBytes).reinterpretShape(I, 0);
            FloatVector s2 = ((FloatVector) v2.and(0xf).convertShape(I2F, F, 0)).fma(x0, c);
            FloatVector t2 = ((FloatVector) v2.and(0xf0).convertShape(I2F, F, 0)).mul(x1);
            s2 = ((FloatVector) v2.and(0xf00).convertShape(I2F, F, 0)).fma(x2, s2);
            t2 = ((FloatVector) v2.and(0xf000).convertShape(I2F, F, 0)).fma(x3, t2);
            s2 = ((FloatVector) v2.and(0xf0000).convertShape(I2F, F, 0)).fma(x4, s2);
            t2 = ((FloatVector) v2.and(0xf00000).convertShape(I2F, F, 0)).fma(x5, t2);
            s2 = ((FloatVector) v2.and(0xf000000).convertShape(I2F, F, 0)).fma(x6, s2);
            t2 = ((FloatVector) v2.lanewise(LSHR, 28).convertShape(I2F, F, 0)).fma(x7, t2);
            int d2 = db + 2 * blocksPerRow;
            acc2 = s2.add(t2).fma(SECOND.fma(FloatVector.broadcast(F, table[d[d2 + 1] & 0xffff]),
                    FIRST.mul(table[d[d2] & 0xffff])), acc2);
            IntVector v3 = (IntVector) ByteVector.fromArray(B, q, qo + 3 * rowBytes).reinterpretShape(I, 0);
            FloatVector s3 = ((FloatVector) v3.and(0xf).convertShape(I2F, F, 0)).fma(x0, c);
            FloatVector t3 = ((FloatVector) v3.and(0xf0).convertShape(I2F, F, 0)).mul(x1);
            s3 = ((FloatVector) v3.and(0xf00).convertShape(I2F, F, 0)).fma(x2, s3);
            t3 = ((FloatVector) v3.and(0xf000).convertShape(I2F, F, 0)).fma(x3, t3);
            s3 = ((FloatVector) v3.and(0xf0000).convertShape(I2F, F, 0)).fma(x4, s3);
            t3 = ((FloatVector) v3.and(0xf00000).convertShape(I2F, F, 0)).fma(x5, t3);
            s3 = ((FloatVector) v3.and(0xf000000).convertShape(I2F, F, 0)).fma(x6, s3);
            t3 = ((FloatVector) v3.lanewise(LSHR, 28).convertShape(I2F, F, 0)).fma(x7, t3);
            int d3 = db + 3 * blocksPerRow;
            acc3 = s3.add(t3).fma(SECOND.fma(FloatVector.broadcast(F, table[d[d3 + 1] & 0xffff]),
                    FIRST.mul(table[d[d3] & 0xffff])), acc3);
        }
        y[yo] = acc0.reduceLanes(VectorOperators.ADD);
        y[yo + 1] = acc1.reduceLanes(VectorOperators.ADD);
        y[yo + 2] = acc2.reduceLanes(VectorOperators.ADD);
        y[yo + 3] = acc3.reduceLanes(VectorOperators.ADD);
    }
}
