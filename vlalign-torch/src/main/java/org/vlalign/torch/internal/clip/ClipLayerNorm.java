package org.vlalign.torch.internal.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;

/**
 * A LayerNorm over the last axis with weight and bias ({@code nn.LayerNorm}).
 *
 * <p>Immutable after construction; thread-safe.
 *
 * @since 0.1.0
 */
public final class ClipLayerNorm {
    private final NDArray weight; // (hidden)
    private final NDArray bias; // (hidden)
    private final Shape normalizedShape;
    private final float eps;

    /**
     * Loads {@code weight} and {@code bias} of a LayerNorm.
     *
     * @param weights the view of the norm, e.g. {@code pre_layrnorm.}
     * @param hidden the width
     * @param eps the epsilon
     */
    public ClipLayerNorm(ClipWeights weights, int hidden, double eps) {
        this.weight = weights.load("weight", hidden);
        this.bias = weights.load("bias", hidden);
        this.normalizedShape = new Shape(hidden);
        this.eps = (float) eps;
    }

    /**
     * Normalises the last axis.
     *
     * @param x {@code (..., hidden)}
     * @return same shape
     */
    public NDArray forward(NDArray x) {
        return LayerNorm.layerNorm(x, normalizedShape, weight, bias, eps).singletonOrThrow();
    }
}
