package org.vlalign.torch.internal.clip;

import ai.djl.ndarray.NDArray;
import org.vlalign.torch.internal.NdArrays;

/**
 * Multi-head self-attention of a CLIP encoder layer: separate q/k/v/out projections with bias,
 * queries scaled by {@code head_dim^-0.5} before the product, softmax in float32.
 *
 * <p>Immutable after construction; thread-safe.
 *
 * @since 0.1.0
 */
public final class ClipAttention {
    private static final String Q_PROJ = "q_proj.";
    private static final String K_PROJ = "k_proj.";
    private static final String V_PROJ = "v_proj.";
    private static final String OUT_PROJ = "out_proj.";

    private final int numHeads;
    private final int headDim;
    private final float scale;
    private final NDArray qProjWeight; // (hidden, hidden)
    private final NDArray qProjBias; // (hidden)
    private final NDArray kProjWeight; // (hidden, hidden)
    private final NDArray kProjBias; // (hidden)
    private final NDArray vProjWeight; // (hidden, hidden)
    private final NDArray vProjBias; // (hidden)
    private final NDArray outProjWeight; // (hidden, hidden)
    private final NDArray outProjBias; // (hidden)

    /**
     * Loads the weights below {@code self_attn.}.
     *
     * @param weights the layer's {@code self_attn.} view
     * @param hidden the width
     * @param numHeads the number of heads
     */
    public ClipAttention(ClipWeights weights, int hidden, int numHeads) {
        this.numHeads = numHeads;
        this.headDim = hidden / numHeads;
        this.scale = (float) Math.pow(headDim, -0.5);
        this.qProjWeight = weights.loadMatrix(Q_PROJ + "weight", hidden, hidden);
        this.qProjBias = weights.load(Q_PROJ + "bias", hidden);
        this.kProjWeight = weights.loadMatrix(K_PROJ + "weight", hidden, hidden);
        this.kProjBias = weights.load(K_PROJ + "bias", hidden);
        this.vProjWeight = weights.loadMatrix(V_PROJ + "weight", hidden, hidden);
        this.vProjBias = weights.load(V_PROJ + "bias", hidden);
        this.outProjWeight = weights.loadMatrix(OUT_PROJ + "weight", hidden, hidden);
        this.outProjBias = weights.load(OUT_PROJ + "bias", hidden);
    }

    /**
     * Attends.
     *
     * @param x the layer-normed input, {@code (batch, seq, hidden)}
     * @param mask an additive mask broadcastable to {@code (batch, heads, seq, seq)}, or null
     * @return {@code (batch, seq, hidden)}, attached to {@code x}'s manager
     */
    public NDArray forward(NDArray x, NDArray mask) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        long hidden = x.getShape().get(2);
        // Project and scale the queries as HF does (q_proj(x) * scale), then split heads.
        NDArray q = heads(NdArrays.linear(x, qProjWeight, qProjBias).mul(scale),
                batch, seq); // (batch, heads, seq, head_dim)
        NDArray k = heads(NdArrays.linear(x, kProjWeight, kProjBias),
                batch, seq); // (batch, heads, seq, head_dim)
        NDArray v = heads(NdArrays.linear(x, vProjWeight, vProjBias),
                batch, seq); // (batch, heads, seq, head_dim)
        // Scores with the additive mask, softmax over keys.
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)); // (batch, heads, seq, seq)
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray probs = scores.softmax(-1); // (batch, heads, seq, seq)
        // Weighted values, heads merged back.
        NDArray context = probs.matMul(v) // (batch, heads, seq, head_dim)
                .transpose(0, 2, 1, 3)
                .reshape(batch, seq, hidden); // (batch, seq, hidden)
        return NdArrays.linear(context, outProjWeight, outProjBias);
    }

    private NDArray heads(NDArray x, long batch, long seq) {
        return x.reshape(batch, seq, numHeads, headDim).transpose(0, 2, 1, 3);
    }
}
