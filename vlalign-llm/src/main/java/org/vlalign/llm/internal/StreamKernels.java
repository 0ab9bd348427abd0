package org.vlalign.llm.internal;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch-1 products of the block-quantised formats with one vector, the stream that decides decode speed,
 * on 256-bit vectors (AVX2, and AVX-512 at half width; {@link VectorKernels} uses it only there).
 *
 * <p>Q8: the usual way to widen a weight byte (sign-extend it to an int lane, then convert) spends a
 * shuffle on every eight weights, and the shuffle port is what limited the old kernel on AVX2. Here a block's
 * bytes are loaded as eight int lanes, and each weight is isolated in its lane with one {@code and} or
 * shift, leaving it scaled by a power of two: byte {@code k} of lane {@code i} is {@code u · 2^(8k)}. The
 * vector is permuted and scaled to match, once per product: lane {@code i} of part {@code k} holds
 * {@code x[4i + k] · 2^(−8k)}. Products of powers of two are exact, so the only rounding is the float
 * arithmetic's, as in the direct kernel. The bytes are made unsigned by flipping their top bits
 * ({@code q + 128}); the offset comes back as one term per block, {@code −128 · Σ x}, which each block's
 * accumulator starts from.
 *
 * <p>Q4: converting each nibble to a float (the Q8 way) cost one conversion and one multiply-add per
 * weight, and on AVX2 that held Q4 to the speed of Q8 although it reads half the bytes. Here the vector is
 * rounded to 8-bit codes per block once per product (as llama.cpp does for Q4_0), and the nibbles multiply
 * the codes in 16-bit lanes: one conversion per eight weights instead of one per weight. A load covers two
 * blocks, so Q4 needs an even number of blocks per row; {@link #fitsQ4} says when.
 *
 * <p>Both take one row at a time, so each thread reads its rows as one sequential stream (see {@link #rowQ8}).
 *
 * <p>Stateless apart from each thread's prepared vector (reused while the same vector comes back); thread-safe.
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
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final short NIBBLE = 0xf;
    private static final int BLOCK = Kernels.BLOCK;
    /** Exact powers of two that undo the position of Q8 byte {@code k} inside its int lane. */
    private static final float[] Q8_SCALE = {1f, 0x1p-8f, 0x1p-16f, 1f};
    /** Which of a block's weights lane {@code j % 8} of Q8 part {@code j / 8} holds. */
    private static final int[] Q8_ORDER = new int[BLOCK];
    /** Indicator vectors of the first and second block's lanes in a Q4 vector. */
    private static final FloatVector FIRST = FloatVector.fromArray(F, new float[] {1, 1, 1, 1, 0, 0, 0, 0}, 0);
    private static final FloatVector SECOND = FloatVector.fromArray(F, new float[] {0, 0, 0, 0, 1, 1, 1, 1}, 0);

    static {
        for (int k = 0; k < 4; k++) {
            for (int i = 0; i < 8; i++) {
                Q8_ORDER[k * 8 + i] = 4 * i + k;
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

    /**
     * A vector prepared for one of the kernels, one per thread, kept with a copy of the vector it was made from
     * to spot the next call with the same one: a product is split into pieces (a few per thread), and the
     * projections that share an input (q, k and v; gate and up) each take it, so without this each piece
     * prepared the vector again (on a 134M model, up to a fifth of a piece). Comparing with the copy reads
     * {@code 4 · cols} bytes; preparing again costs several times that.
     */
    private abstract static class Prepared {
        float[] copy = new float[0]; // the vector the prepared one was made from
        int cols = -1; // its width, or -1 when nothing is prepared

        /** Prepares {@code x[xOff ..]}, {@code blocksPerRow} blocks, growing the arrays as needed. */
        abstract void prepare(float[] x, int xOff, int blocksPerRow);

        /** The thread's prepared vector for {@code x[xOff ..]}, prepared again only if the vector differs. */
        static <T extends Prepared> T of(ThreadLocal<T> ofThread, float[] x, int xOff, int blocksPerRow) {
            T v = ofThread.get();
            int n = blocksPerRow * BLOCK;
            if (v.cols != n || !java.util.Arrays.equals(v.copy, 0, n, x, xOff, xOff + n)) {
                v.cols = -1; // a preparation that fails half-way leaves nothing to reuse
                v.prepare(x, xOff, blocksPerRow);
                if (v.copy.length < n) {
                    v.copy = new float[n];
                }
                System.arraycopy(x, xOff, v.copy, 0, n);
                v.cols = n;
            }
            return v;
        }
    }

    /** A thread's prepared vector for {@link #rowQ8}: permuted, scaled, and one offset term per block. */
    private static final class Q8Vector extends Prepared {
        private static final ThreadLocal<Q8Vector> OF_THREAD = ThreadLocal.withInitial(Q8Vector::new);
        float[] s = new float[0];

        @Override
        void prepare(float[] x, int xOff, int blocksPerRow) {
            int width = blocksPerRow * BLOCK;
            if (s.length < width + blocksPerRow) {
                s = new float[width + blocksPerRow];
            }
            int xcOff = width; // one offset term per block after the permuted vector
            for (int b = 0; b < blocksPerRow; b++) {
                int o = b * BLOCK;
                float sum = 0;
                for (int j = 0; j < BLOCK; j++) {
                    float e = x[xOff + o + Q8_ORDER[j]];
                    sum += e;
                    s[o + j] = e * Q8_SCALE[j >> 3];
                }
                s[xcOff + b] = -128f * sum / 8;
            }
        }
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
     */
    static void matvecQ8(byte[] q, short[] d, int blocksPerRow, int r0, int r1, float[] x, int xOff, float[] y,
            int yOff) {
        float[] s = Prepared.of(Q8Vector.OF_THREAD, x, xOff, blocksPerRow).s;
        for (int r = r0; r < r1; r++) {
            y[yOff + r - r0] = rowQ8(q, d, blocksPerRow, r, s);
        }
    }

    /**
     * Rows {@code r0} to {@code r1} of a Q4 matrix times {@code x} rounded to 8 bits; needs {@link #fitsQ4}.
     * Unlike the other products here, this one does not use {@code x} exactly: each block of 32 values is
     * rounded to {@code dx · k}, {@code dx = max|x| / 127}, {@code k} an integer in [−127, 127] (llama.cpp's
     * Q4_0 × Q8_0 product), so the nibbles multiply 16-bit integers; see {@link #q4Error} for the bound.
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
     */
    static void matvecQ4(byte[] q, short[] d, int blocksPerRow, int r0, int r1, float[] x, int xOff, float[] y,
            int yOff) {
        Q4Vector v = Prepared.of(Q4Vector.OF_THREAD, x, xOff, blocksPerRow);
        for (int r = r0; r < r1; r++) {
            y[yOff + r - r0] = rowQ4(q, d, blocksPerRow, r, v);
        }
    }

    /**
     * The most {@link #matvecQ4}'s row {@code r} can differ from the exact product with {@code x} (beyond
     * float rounding): half a step of each block's 8-bit grid times the block's absolute weights.
     *
     * @param q the codes
     * @param d the fp16 scales
     * @param blocksPerRow blocks per row
     * @param r the row
     * @param x the vector
     * @param xOff its offset
     * @return the bound
     */
    static double q4Error(byte[] q, short[] d, int blocksPerRow, int r, float[] x, int xOff) {
        double bound = 0;
        for (int b = 0; b < blocksPerRow; b++) {
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[xOff + b * BLOCK + j]));
            }
            int block = r * blocksPerRow + b;
            double weights = 0;
            for (int j = 0; j < BLOCK / 2; j++) {
                int packed = q[block * (BLOCK / 2) + j];
                weights += Math.abs((packed & 0xf) - 8) + Math.abs(((packed >> 4) & 0xf) - 8);
            }
            bound += Math.abs(Fp16.TABLE[d[block] & 0xffff]) * weights * (amax / 127f) / 2;
        }
        return bound;
    }

    /**
     * A vector prepared for {@link #rowQ4}: rounded to 8 bits per block and laid out to match the 16-bit
     * lanes of a pair of blocks' 32 code bytes. Lane {@code s} of a pair holds bytes {@code 2s} and
     * {@code 2s + 1} of block {@code s / 8}, whose four nibbles are that block's weights {@code 2s'},
     * {@code 2s' + 16}, {@code 2s' + 1} and {@code 2s' + 17} ({@code s' = s mod 8}); part {@code k} of the
     * prepared vector holds the activations of nibble {@code k} in the same lanes. One per thread, reused.
     */
    private static final class Q4Vector extends Prepared {
        private static final ThreadLocal<Q4Vector> OF_THREAD = ThreadLocal.withInitial(Q4Vector::new);
        short[] parts = new short[0]; // 64 a pair of blocks: four parts of 16 lanes
        int[] offsets = new int[0]; // 8 a pair of blocks: −8 · the sum of the activations an int lane covers
        float[] steps = new float[0]; // 8 a pair of blocks: the block's dx, 4 lanes each
        byte[] codes = new byte[0]; // the rounded activations in their own order
        float[] dx = new float[0]; // a block's step

        @Override
        void prepare(float[] x, int xOff, int blocksPerRow) {
            int width = blocksPerRow * BLOCK;
            if (codes.length < width) {
                parts = new short[width];
                offsets = new int[width / 8];
                steps = new float[width / 8];
                codes = new byte[width];
                dx = new float[blocksPerRow];
            }
            round(x, xOff, blocksPerRow);
        }

        private void round(float[] x, int xOff, int blocksPerRow) {
            for (int b = 0; b < blocksPerRow; b++) {
                int o = xOff + b * BLOCK;
                float amax = 0;
                for (int j = 0; j < BLOCK; j++) {
                    amax = Math.max(amax, Math.abs(x[o + j]));
                }
                float step = amax / 127f;
                float inv = step == 0 ? 0 : 1f / step;
                dx[b] = step;
                for (int j = 0; j < BLOCK; j++) {
                    codes[b * BLOCK + j] = (byte) Math.rint(x[o + j] * inv);
                }
            }
            for (int g = 0; g < blocksPerRow / 2; g++) {
                for (int lane = 0; lane < 16; lane++) {
                    int c = (2 * g + lane / 8) * BLOCK + 2 * (lane % 8);
                    int p = g * 64 + lane;
                    parts[p] = codes[c];
                    parts[p + 16] = codes[c + BLOCK / 2];
                    parts[p + 32] = codes[c + 1];
                    parts[p + 48] = codes[c + BLOCK / 2 + 1];
                }
                for (int lane = 0; lane < 8; lane++) { // int lane i covers 16-bit lanes 2i and 2i + 1
                    int sum = 0;
                    for (int k = 0; k < 4; k++) {
                        sum += parts[g * 64 + k * 16 + 2 * lane] + parts[g * 64 + k * 16 + 2 * lane + 1];
                    }
                    offsets[g * 8 + lane] = -8 * sum;
                    steps[g * 8 + lane] = dx[2 * g + lane / 4];
                }
            }
        }
    }

    /**
     * One row times the prepared vector {@code s}. A row at a time, not four: the weights of consecutive rows are
     * consecutive in memory, so each thread reads one sequential stream, which the hardware prefetchers follow
     * across rows. Four rows at once (one register tile, the vector's loads shared) read four streams that each
     * end after one row (4 KB on a 4096-wide matrix, one page) and streamed 10–13 GB/s from memory on two AVX2
     * cores where this reads 15–17 (eight 11008 × 4096 matrices, a scratch harness); the vector's loads come from
     * the L1 cache and cost less than the stream gains.
     */
    private static float rowQ8(byte[] q, short[] d, int blocksPerRow, int r, float[] s) {
        float[] table = Fp16.TABLE;
        int xcOff = blocksPerRow * BLOCK;
        int first = r * blocksPerRow;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocksPerRow; b++) {
            int xo = b * BLOCK;
            IntVector v = (IntVector) ByteVector.fromArray(B, q, (first + b) * BLOCK).reinterpretShape(I, 0)
                    .lanewise(VectorOperators.XOR, 0x80808080);
            FloatVector lo = ((FloatVector) v.and(0xff).convertShape(I2F, F, 0))
                    .fma(FloatVector.fromArray(F, s, xo), FloatVector.broadcast(F, s[xcOff + b]));
            FloatVector hi = ((FloatVector) v.and(0xff00).convertShape(I2F, F, 0))
                    .mul(FloatVector.fromArray(F, s, xo + 8));
            lo = ((FloatVector) v.and(0xff0000).convertShape(I2F, F, 0)).fma(FloatVector.fromArray(F, s, xo + 16), lo);
            hi = ((FloatVector) v.lanewise(LSHR, 24).convertShape(I2F, F, 0))
                    .fma(FloatVector.fromArray(F, s, xo + 24), hi);
            acc = lo.add(hi).fma(FloatVector.broadcast(F, table[d[first + b] & 0xffff]), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * One row times the prepared vector, a row at a time for the reason {@link #rowQ8} gives. A 32-byte load is
     * a pair of blocks as sixteen 16-bit lanes of four nibbles each; each nibble, isolated, multiplies its
     * activation code in 16 bits (at most 15 · 127, four of them summed stay below 2^15), the two halves of each
     * int lane are added ({@code (w + (w << 16)) >> 16}: their sum fits in 16 bits too), and the block's two
     * scales apply in floats to four int lanes each.
     */
    private static float rowQ4(byte[] q, short[] d, int blocksPerRow, int r, Q4Vector v) {
        float[] table = Fp16.TABLE;
        int first = r * blocksPerRow;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocksPerRow; b += 2) {
            int g = b >> 1;
            int db = first + b;
            ShortVector w = (ShortVector) ByteVector.fromArray(B, q, db * (BLOCK / 2)).reinterpretShape(S, 0);
            IntVector p = (IntVector) w.and(NIBBLE).mul(ShortVector.fromArray(S, v.parts, g * 64))
                    .add(w.lanewise(LSHR, 4).and(NIBBLE).mul(ShortVector.fromArray(S, v.parts, g * 64 + 16)))
                    .add(w.lanewise(LSHR, 8).and(NIBBLE).mul(ShortVector.fromArray(S, v.parts, g * 64 + 32)))
                    .add(w.lanewise(LSHR, 12).mul(ShortVector.fromArray(S, v.parts, g * 64 + 48)))
                    .reinterpretShape(I, 0);
            p = p.add(p.lanewise(LSHL, 16)).lanewise(ASHR, 16).add(IntVector.fromArray(I, v.offsets, g * 8));
            FloatVector scales = SECOND.fma(FloatVector.broadcast(F, table[d[db + 1] & 0xffff]),
                    FIRST.mul(table[d[db] & 0xffff]));
            acc = ((FloatVector) p.convertShape(I2F, F, 0)).mul(FloatVector.fromArray(F, v.steps, g * 8))
                    .fma(scales, acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
