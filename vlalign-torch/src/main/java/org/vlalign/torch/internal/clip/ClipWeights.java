package org.vlalign.torch.internal.clip;

import ai.djl.ndarray.NDArray;

/**
 * Where CLIP modules read their weights from: a checkpoint seen under a key prefix, loading into the
 * model's manager with a shape check.
 *
 * <p>Implementations are thread-safe for reading; loading happens once, while a model is built.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface ClipWeights {

    /**
     * Loads one tensor as float32.
     *
     * @param key the key below this source's prefix, e.g. {@code "embeddings.class_embedding"}
     * @param expectedShape the shape the configuration implies
     * @return the tensor, owned by the model's manager
     * @throws org.vlalign.CheckpointException if the tensor is missing or its shape differs
     */
    NDArray load(String key, long... expectedShape);

    /**
     * Loads a projection weight: a source built for 16-bit storage keeps it in float16 ({@link
     * org.vlalign.torch.internal.NdArrays#linear} widens it for each product); by default as {@link #load}.
     *
     * @param key the key below this source's prefix
     * @param expectedShape the shape the configuration implies
     * @return the tensor, owned by the model's manager
     * @throws org.vlalign.CheckpointException if the tensor is missing or its shape differs
     * @since 0.2.0
     */
    default NDArray loadMatrix(String key, long... expectedShape) {
        return load(key, expectedShape);
    }

    /**
     * A view of this source below a further prefix.
     *
     * @param prefix the prefix to prepend to every key, e.g. {@code "encoder.layers.0."}
     * @return the view
     */
    default ClipWeights under(String prefix) {
        ClipWeights outer = this;
        return new ClipWeights() {
            @Override
            public NDArray load(String key, long... shape) {
                return outer.load(prefix + key, shape);
            }

            @Override
            public NDArray loadMatrix(String key, long... shape) {
                return outer.loadMatrix(prefix + key, shape);
            }
        };
    }
}
