package org.vlalign.llm.internal;

/**
 * The inner loops of the JVM engine: dot products of a weight row in each storage format with a float32
 * activation vector, and the small vector operations around them.
 *
 * <p>Two implementations compute the same sums: {@link VectorKernels} on the Java Vector API (SIMD on any
 * CPU the JIT supports: AVX2, AVX-512, NEON), and {@link ScalarKernels}, the fallback when the JVM runs
 * without {@code --add-modules jdk.incubator.vector}. Results may differ in the last bits because the
 * summation order differs. Stateless and thread-safe.
 *
 * <p>Quantised layouts: {@code Q8} blocks are 32 signed bytes {@code q[32 b + j]} with an fp16 scale
 * {@code d[b]}: weight = {@code d · q}. {@code Q4} blocks are 16 bytes {@code q[16 b + j]} whose low
 * nibble is weight {@code j} and high nibble weight {@code j + 16}, value = {@code d · (nibble − 8)}.
 */
public interface Kernels {

    /** Elements per quantisation block. */
    int BLOCK = 32;

    /**
     * The name of this implementation, for logs and benchmarks.
     *
     * @return a short description including the vector width
     */
    String describe();

    /**
     * {@code Σ a[aOff + i] · b[bOff + i]} for {@code i < n}.
     *
     * @param a the first vector
     * @param aOff its offset
     * @param b the second vector
     * @param bOff its offset
     * @param n the length
     * @return the dot product
     */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /**
     * The dot product of 16-bit weights with floats.
     *
     * @param w bf16 (or fp16 when {@code f16}) bit patterns
     * @param wOff offset into {@code w}
     * @param f16 whether the weights are IEEE binary16 rather than bfloat16
     * @param x the activations
     * @param xOff offset into {@code x}
     * @param n the length
     * @return the dot product
     */
    float dot16(short[] w, int wOff, boolean f16, float[] x, int xOff, int n);

    /**
     * The dot product of {@code nBlocks} Q8 blocks starting at block {@code block} with floats.
     *
     * @param q the quantised values, 32 a block
     * @param d the fp16 scales, one a block
     * @param block the first block
     * @param x the activations
     * @param xOff offset into {@code x} of the first block's first element
     * @param nBlocks the number of blocks
     * @return the dot product
     */
    float dotQ8(byte[] q, short[] d, int block, float[] x, int xOff, int nBlocks);

    /**
     * The dot product of {@code nBlocks} Q4 blocks starting at block {@code block} with floats.
     *
     * @param q the packed nibbles, 16 bytes a block
     * @param d the fp16 scales, one a block
     * @param block the first block
     * @param x the activations
     * @param xOff offset into {@code x} of the first block's first element
     * @param nBlocks the number of blocks
     * @return the dot product
     */
    float dotQ4(byte[] q, short[] d, int block, float[] x, int xOff, int nBlocks);

    /**
     * Four consecutive Q8 rows' dot products with the same floats: {@code y[yOff + i] = row(r + i) · x} for
     * {@code i < 4}, where row {@code r} starts at block {@code block} and rows are {@code nBlocks} blocks
     * long. One pass loads each activation once for four rows. The default {@link #matvecQ8} uses it; the
     * 256-bit kernels stream one row at a time instead, which measured faster there ({@code StreamKernels}).
     *
     * @param q the quantised values
     * @param d the fp16 scales
     * @param block the first row's first block
     * @param nBlocks blocks per row
     * @param x the activations, {@code 32 · nBlocks} from {@code xOff}
     * @param xOff the offset
     * @param y receives four results
     * @param yOff the offset
     */
    default void dotQ8x4(byte[] q, short[] d, int block, int nBlocks, float[] x, int xOff, float[] y, int yOff) {
        for (int i = 0; i < 4; i++) {
            y[yOff + i] = dotQ8(q, d, block + i * nBlocks, x, xOff, nBlocks);
        }
    }

    /**
     * Four consecutive Q4 rows' dot products with the same floats, as {@link #dotQ8x4}.
     *
     * @param q the packed nibbles
     * @param d the fp16 scales
     * @param block the first row's first block
     * @param nBlocks blocks per row
     * @param x the activations
     * @param xOff the offset
     * @param y receives four results
     * @param yOff the offset
     */
    default void dotQ4x4(byte[] q, short[] d, int block, int nBlocks, float[] x, int xOff, float[] y, int yOff) {
        for (int i = 0; i < 4; i++) {
            y[yOff + i] = dotQ4(q, d, block + i * nBlocks, x, xOff, nBlocks);
        }
    }

    /**
     * Rows {@code r0} to {@code r1} of a Q8 matrix times one vector, the batch-1 decode stream:
     * {@code y[yOff + r − r0] = row(r) · x}.
     *
     * @param q the codes, {@code 32 · blocksPerRow} a row
     * @param d the fp16 scales, {@code blocksPerRow} a row
     * @param blocksPerRow blocks per row
     * @param r0 the first row
     * @param r1 the row after the last
     * @param x the vector
     * @param xOff its offset
     * @param y the results
     * @param yOff where row {@code r0}'s result goes
     */
    default void matvecQ8(byte[] q, short[] d, int blocksPerRow, int r0, int r1, float[] x, int xOff, float[] y,
            int yOff) {
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            dotQ8x4(q, d, r * blocksPerRow, blocksPerRow, x, xOff, y, yOff + r - r0);
        }
        for (; r < r1; r++) {
            y[yOff + r - r0] = dotQ8(q, d, r * blocksPerRow, x, xOff, blocksPerRow);
        }
    }

    /**
     * Rows {@code r0} to {@code r1} of a Q4 matrix times one vector, as {@link #matvecQ8}. An implementation
     * may round the vector to 8 bits per block first (the 256-bit Vector API one does, as llama.cpp does for
     * Q4_0): its error then stays within half a step of each block's 8-bit grid times the block's absolute
     * weights.
     *
     * @param q the codes, {@code 16 · blocksPerRow} a row
     * @param d the fp16 scales, {@code blocksPerRow} a row
     * @param blocksPerRow blocks per row
     * @param r0 the first row
     * @param r1 the row after the last
     * @param x the vector
     * @param xOff its offset
     * @param y the results
     * @param yOff where row {@code r0}'s result goes
     */
    default void matvecQ4(byte[] q, short[] d, int blocksPerRow, int r0, int r1, float[] x, int xOff, float[] y,
            int yOff) {
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            dotQ4x4(q, d, r * blocksPerRow, blocksPerRow, x, xOff, y, yOff + r - r0);
        }
        for (; r < r1; r++) {
            y[yOff + r - r0] = dotQ4(q, d, r * blocksPerRow, x, xOff, blocksPerRow);
        }
    }

    /**
     * Whether {@link #matvecQ4} rounds the vector to 8-bit blocks for rows of this many blocks (its error is then
     * bounded by {@link StreamKernels#q4Error}); otherwise it uses the vector exactly, as {@link #dotQ4} does.
     *
     * @param blocksPerRow blocks per row
     * @return true when the rounding kernel serves these rows
     */
    default boolean roundsQ4(int blocksPerRow) {
        return false;
    }

    /**
     * Decodes {@code nBlocks} Q8 blocks starting at block {@code block} into floats.
     *
     * @param q the quantised values
     * @param d the fp16 scales
     * @param block the first block
     * @param nBlocks the number of blocks
     * @param dst receives {@code 32 · nBlocks} floats
     * @param dstOff the offset
     */
    void decodeQ8(byte[] q, short[] d, int block, int nBlocks, float[] dst, int dstOff);

    /**
     * Decodes {@code nBlocks} Q4 blocks starting at block {@code block} into floats.
     *
     * @param q the packed nibbles
     * @param d the fp16 scales
     * @param block the first block
     * @param nBlocks the number of blocks
     * @param dst receives {@code 32 · nBlocks} floats
     * @param dstOff the offset
     */
    void decodeQ4(byte[] q, short[] d, int block, int nBlocks, float[] dst, int dstOff);

    /**
     * Widens 16-bit weights to floats.
     *
     * @param w bf16 or fp16 bit patterns
     * @param wOff the offset
     * @param f16 whether they are IEEE binary16
     * @param dst receives {@code n} floats
     * @param dstOff the offset
     * @param n how many
     */
    void decode16(short[] w, int wOff, boolean f16, float[] dst, int dstOff, int n);

    /**
     * A small matrix product: {@code y[yOff + t·ldy + r] = Σ_i w[wOff + r·ldw + i] · x[xOff + t·ldx + i]}
     * for {@code r < rows}, {@code t < n}, {@code i < k}. Implementations keep tiles of several rows and
     * several vectors in registers, so each load feeds several multiply-adds (prefill and beam search).
     *
     * @param w the rows, {@code ldw} apart
     * @param wOff offset of row 0
     * @param ldw distance between rows
     * @param rows how many rows
     * @param x the vectors, {@code ldx} apart
     * @param xOff offset of vector 0
     * @param ldx distance between vectors
     * @param n how many vectors
     * @param k the length of each dot product
     * @param y the results
     * @param yOff where row 0 of vector 0 goes
     * @param ldy distance between the results of consecutive vectors
     */
    void gemm(float[] w, int wOff, int ldw, int rows, float[] x, int xOff, int ldx, int n, int k, float[] y, int yOff,
            int ldy);

    /**
     * {@code y[yOff + i] += a · x[xOff + i]} for {@code i < n}.
     *
     * @param a the factor
     * @param x the source
     * @param xOff its offset
     * @param y the destination
     * @param yOff its offset
     * @param n the length
     */
    void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n);

    /**
     * {@code y[yOff + i] += a · x[xOff + i]} for {@code i < n}, {@code x} in 16-bit floats.
     *
     * @param a the factor
     * @param x the source, fp16 or bf16 bits
     * @param xOff its offset
     * @param f16 true for IEEE fp16, false for bf16
     * @param y the destination
     * @param yOff its offset
     * @param n the length
     */
    void axpy16(float a, short[] x, int xOff, boolean f16, float[] y, int yOff, int n);

    /**
     * The softmax's numerators in place: {@code x[i] = exp(x[i] − max)} for {@code i < n}; returns their sum.
     *
     * @param x the values, overwritten
     * @param n how many
     * @param max the value subtracted before exponentiating (the largest, so no term overflows)
     * @return the sum of the results
     */
    float expShifted(float[] x, int n, float max);

    /**
     * The SiLU-gated product in place: {@code gate[i] = gate[i] / (1 + exp(−gate[i])) · up[i]} for {@code i < n}.
     *
     * @param gate the gate projection, overwritten with the product
     * @param up the up projection
     * @param n how many
     */
    void siluMul(float[] gate, float[] up, int n);
}
