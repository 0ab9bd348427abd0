package org.vlalign.llm;

/**
 * A faster matrix product for long prompts, plugged into the JVM engine through {@link
 * java.util.ServiceLoader}: with {@code vlalign-torch} on the class path, prompts of many positions are
 * multiplied by libtorch's GEMM (compute-bound work, where an optimised BLAS beats Java), while decoding
 * (memory-bound) stays on the JVM kernels that read the quantised weights directly.
 *
 * <p>The engine hands over the vectors once ({@link #begin}), then decodes tiles of weight rows to float32
 * with its own threads and multiplies each through the {@link Product}. The system property {@code vlalign.llm.matmul=java} turns
 * backends off.
 *
 * <p>Implementations are thread-safe.
 *
 * @since 0.2.0
 */
public interface MatmulBackend {
    /** The system property that selects the backend: {@code auto} (default) or {@code java}. */
    String PROPERTY = "vlalign.llm.matmul";

    /**
     * A short name for logs and benchmarks.
     *
     * @return the name
     */
    String name();

    /**
     * The fewest vectors for which the backend beats the JVM kernels; fewer go to the JVM kernels.
     *
     * @return at least 1
     */
    int minVectors();

    /**
     * Starts a product with {@code n} vectors, handing the vectors over once for every tile of rows.
     *
     * @param x the vectors, {@code cols} floats each, contiguous
     * @param n the number of vectors
     * @param cols their length
     * @return the product; close it
     */
    Product begin(float[] x, int n, int cols);

    /** One product's vectors, multiplied with tiles of weight rows. Used by one thread; close it. */
    interface Product extends AutoCloseable {
        /**
         * Multiplies a tile of rows with the vectors:
         * {@code y[t · ldy + yOff + r] = Σ_i w[r · cols + i] · x[t · cols + i]}.
         *
         * @param w {@code rows · cols} floats, row-major
         * @param rows the tile's rows
         * @param y the results
         * @param ldy the distance between consecutive vectors' results
         * @param yOff where row 0 of vector 0 goes
         */
        void multiply(float[] w, int rows, float[] y, int ldy, int yOff);

        /** Releases what {@link #begin} set up. */
        @Override
        void close();
    }
}
