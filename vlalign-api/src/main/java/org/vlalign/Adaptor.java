package org.vlalign;

/**
 * Maps feature-extractor output into the language model's embedding space: the reference system's
 * trained linear projection (768→4096), InstructBLIP's {@code language_projection}, or LLaVA-1.5's
 * two-layer GELU MLP.
 *
 * <p>Implementations are thread-safe.
 *
 * @since 0.1.0
 */
public interface Adaptor extends AutoCloseable {

    /**
     * The width of the features this adaptor accepts.
     *
     * @return the input width
     */
    int inputDim();

    /**
     * The width of the embeddings it produces: the language model's hidden size.
     *
     * @return the output width
     */
    int outputDim();

    /**
     * Projects features row by row.
     *
     * @param features shape {@code (tokens, inputDim())}
     * @return shape {@code (tokens, outputDim())}
     * @throws InvalidArgumentException if the width is not {@link #inputDim()}
     */
    Features adapt(Features features);

    /** Releases native memory held by the weights. Idempotent. */
    @Override
    void close();
}
