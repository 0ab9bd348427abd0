package org.vlalign.torch.internal.llama;

import org.vlalign.llm.LlamaConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.vlalign.torch.internal.NdArrays;

/**
 * Multi-head self-attention with rotary embeddings and grouped-query attention.
 *
 * <p>Follows Hugging Face's eager path: {@code softmax(q·kᵀ/√d + mask)·v} in float32, the additive
 * mask holding {@code float32.min} for masked keys, and key/value heads repeated with {@code
 * repeat_interleave} (query head {@code h} reads key/value head {@code h / groups}). Thread-safe;
 * weights belong to the model's manager (see {@link LlamaLinear} for attached LoRA adapters).
 *
 * @since 0.1.0
 */
public final class LlamaAttention {

    /** Key pattern of the query projection, after the layer prefix. */
    static final String Q_PROJ = "self_attn.q_proj";
    /** Key pattern of the key projection. */
    static final String K_PROJ = "self_attn.k_proj";
    /** Key pattern of the value projection. */
    static final String V_PROJ = "self_attn.v_proj";
    /** Key pattern of the output projection. */
    static final String O_PROJ = "self_attn.o_proj";

    private final LlamaLinear qProj; // (heads * headDim, hidden)
    private final LlamaLinear kProj; // (kvHeads * headDim, hidden)
    private final LlamaLinear vProj; // (kvHeads * headDim, hidden)
    private final LlamaLinear oProj; // (hidden, heads * headDim)
    private final int numHeads;
    private final int numKeyValueHeads;
    private final int headDim;
    private final double scale;

    LlamaAttention(LlamaConfig config, LlamaLinear qProj, LlamaLinear kProj, LlamaLinear vProj, LlamaLinear oProj) {
        this.qProj = qProj;
        this.kProj = kProj;
        this.vProj = vProj;
        this.oProj = oProj;
        this.numHeads = config.numAttentionHeads();
        this.numKeyValueHeads = config.numKeyValueHeads();
        this.headDim = config.headDim();
        this.scale = Math.sqrt(headDim);
    }

    /**
     * Runs attention.
     *
     * @param x {@code (batch, seq, hidden)}; its manager owns the result
     * @param cos {@code (batch, 1, seq, headDim)}
     * @param sin {@code (batch, 1, seq, headDim)}
     * @param mask additive mask {@code (batch, 1, seq, past + seq)}
     * @param cache the session cache or null (then keys are only this call's)
     * @param layer this layer's index in the cache
     * @return {@code (batch, seq, hidden)}
     */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, LlamaKvCache cache, int layer) {
        NDManager call = x.getManager();
        long b = x.getShape().get(0);
        long l = x.getShape().get(1);
        NDArray q = qProj.forward(x)
                .reshape(b, l, numHeads, headDim).transpose(0, 2, 1, 3); // (batch, heads, seq, headDim)
        NDArray k = kProj.forward(x)
                .reshape(b, l, numKeyValueHeads, headDim).transpose(0, 2, 1, 3); // (batch, kvHeads, seq, headDim)
        NDArray v = vProj.forward(x)
                .reshape(b, l, numKeyValueHeads, headDim).transpose(0, 2, 1, 3); // (batch, kvHeads, seq, headDim)
        q = LlamaRotaryEmbedding.apply(q, cos, sin);
        k = LlamaRotaryEmbedding.apply(k, cos, sin);
        NDArray keys = k; // (batch, kvHeads, past + seq, headDim)
        NDArray values = v;
        if (cache != null) {
            NDArray[] kv = cache.append(layer, k, v); // owned by the cache: derived arrays must move to the call
            keys = kv[0];
            values = kv[1];
        }
        int groups = numHeads / numKeyValueHeads;
        // Results of ops on cache-owned arrays land in the cache's manager: move them to this call's.
        NDArray keysT = NdArrays.own(groups > 1 ? keys.repeat(1, groups) : keys.transpose(0, 1, 2, 3), call);
        NDArray valuesR = groups > 1 ? NdArrays.own(values.repeat(1, groups), call) : values;
        // Divide by a libtorch-owned scalar, not div(double): DJL's Number overload wraps the divisor in a
        // from_blob tensor it closes at once, yet autograd saves it for backward (NaN gradients in training).
        NDArray divisor = NdArrays.scalar(call, (float) scale); // ()
        NDArray scores = q.matMul(keysT.transpose(0, 1, 3, 2)).div(divisor).add(mask); // (batch, heads, seq, past+seq)
        NDArray probs = scores.softmax(-1);
        NDArray out = probs.matMul(valuesR) // (batch, heads, seq, headDim)
                .transpose(0, 2, 1, 3).reshape(b, l, (long) numHeads * headDim);
        return oProj.forward(out);
    }
}
