package org.vlalign.torch.internal.clip;

import ai.djl.ndarray.NDArray;
import org.vlalign.torch.internal.NdArrays;

/**
 * One pre-LN CLIP encoder layer: {@code x + attn(ln1(x))}, then {@code x + mlp(ln2(x))}.
 *
 * <p>Immutable after construction; thread-safe.
 *
 * @since 0.1.0
 */
public final class ClipEncoderLayer {
    /** Key pattern of a layer below the encoder prefix. */
    static final String LAYER_PREFIX = "encoder.layers.%d.";

    private final ClipLayerNorm layerNorm1;
    private final ClipAttention selfAttn;
    private final ClipLayerNorm layerNorm2;
    private final ClipMlp mlp;

    /**
     * Loads a layer.
     *
     * @param weights the view {@code encoder.layers.<i>.}
     * @param hidden the width
     * @param intermediate the MLP's inner width
     * @param numHeads the number of attention heads
     * @param activation the MLP's activation
     * @param eps the layer-norm epsilon
     */
    public ClipEncoderLayer(
            ClipWeights weights,
            int hidden,
            int intermediate,
            int numHeads,
            ClipActivation activation,
            double eps) {
        this.layerNorm1 = new ClipLayerNorm(weights.under("layer_norm1."), hidden, eps);
        this.selfAttn = new ClipAttention(weights.under("self_attn."), hidden, numHeads);
        this.layerNorm2 = new ClipLayerNorm(weights.under("layer_norm2."), hidden, eps);
        this.mlp = new ClipMlp(weights.under("mlp."), hidden, intermediate, activation);
    }

    /**
     * Applies the layer.
     *
     * @param x {@code (batch, seq, hidden)}; stays owned by its manager, which also owns the result (the
     *     layer's intermediates are freed when it returns)
     * @param mask an additive attention mask, or null
     * @return {@code (batch, seq, hidden)}
     */
    public NDArray forward(NDArray x, NDArray mask) {
        return NdArrays.inLayerScope(x, in -> {
            NDArray h = in.add(selfAttn.forward(layerNorm1.forward(in), mask)); // (batch, seq, hidden)
            return h.add(mlp.forward(layerNorm2.forward(h))); // (batch, seq, hidden)
        });
    }
}
