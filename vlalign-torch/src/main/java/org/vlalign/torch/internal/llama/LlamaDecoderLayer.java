package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;
import org.vlalign.torch.internal.NdArrays;

/**
 * One pre-norm transformer block: {@code h = x + attn(norm(x)); out = h + mlp(norm(h))}.
 *
 * <p>Immutable and thread-safe; weights belong to the model's manager. Intermediate arrays of one
 * call are released when the layer returns.
 *
 * @since 0.1.0
 */
public final class LlamaDecoderLayer {

    /** Key pattern of the layer prefix. */
    static final String LAYER = "model.layers.%d.";
    /** Key pattern of the pre-attention norm, after the layer prefix. */
    static final String INPUT_LAYERNORM = "input_layernorm";
    /** Key pattern of the pre-MLP norm. */
    static final String POST_ATTENTION_LAYERNORM = "post_attention_layernorm";

    private final int index;
    private final LlamaRmsNorm inputLayernorm;
    private final LlamaAttention selfAttn;
    private final LlamaRmsNorm postAttentionLayernorm;
    private final LlamaMlp mlp;

    LlamaDecoderLayer(int index, LlamaRmsNorm inputLayernorm, LlamaAttention selfAttn,
            LlamaRmsNorm postAttentionLayernorm, LlamaMlp mlp) {
        this.index = index;
        this.inputLayernorm = inputLayernorm;
        this.selfAttn = selfAttn;
        this.postAttentionLayernorm = postAttentionLayernorm;
        this.mlp = mlp;
    }

    /**
     * Runs the block.
     *
     * @param x {@code (batch, seq, hidden)}; stays owned by its manager, which also owns the result
     * @param cos {@code (batch, 1, seq, headDim)}
     * @param sin {@code (batch, 1, seq, headDim)}
     * @param mask additive mask {@code (batch, 1, seq, past + seq)}
     * @param cache the session cache or null
     * @return {@code (batch, seq, hidden)}
     */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, LlamaKvCache cache) {
        return NdArrays.inLayerScope(x, in -> {
            NDArray h = in.add(selfAttn.forward(inputLayernorm.forward(in), cos, sin, mask, cache, index));
            return h.add(mlp.forward(postAttentionLayernorm.forward(h))); // (batch, seq, hidden)
        });
    }
}
