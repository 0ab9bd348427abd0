package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;

/**
 * Root-mean-square layer norm in float32: {@code weight · x / sqrt(mean(x²) + eps)}.
 *
 * <p>Immutable and thread-safe; the weight belongs to the model's manager.
 *
 * @since 0.1.0
 */
public final class LlamaRmsNorm {

    private final NDArray weight; // (hidden)
    private final float eps;

    /**
     * Creates the norm.
     *
     * @param weight {@code (hidden)}
     * @param eps {@code rms_norm_eps}
     */
    public LlamaRmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    /**
     * Normalises the last axis.
     *
     * @param x {@code (..., hidden)}; its manager owns the result
     * @return the normalised array, same shape
     */
    public NDArray forward(NDArray x) {
        NDArray variance = x.square().mean(new int[] {-1}, true); // (..., 1)
        NDArray normed = x.div(variance.add(eps).sqrt()); // (..., hidden)
        return normed.mul(weight);
    }
}
