package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.vlalign.torch.internal.NdArrays;

/**
 * Rotary position embeddings as Hugging Face 4.45 computes them: {@code inv_freq = 1 / θ^(2i/d)}
 * (modified by {@code rope_scaling}), {@code emb = cat(freqs, freqs)} with {@code freqs = position ·
 * inv_freq}, applied with {@code rotate_half} (halves, not interleaved pairs).
 *
 * <p>The cos/sin tables are computed in Java for the exact positions of a call (float32 products,
 * as HF's float32 matmul of a rank-1 outer product), so padded rows with arbitrary position ids cost
 * nothing extra. Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class LlamaRotaryEmbedding {

    private final LlamaConfig config;
    private final int dim;
    private final float[] invFreq; // (dim / 2)

    /**
     * Creates the embedding for a config.
     *
     * @param config the model config
     */
    public LlamaRotaryEmbedding(LlamaConfig config) {
        this.config = config;
        this.dim = config.headDim();
        this.invFreq = baseInvFreq(config.ropeTheta());
        LlamaConfig.RopeScaling rs = config.ropeScaling();
        switch (rs.type()) {
            case LINEAR -> {
                for (int i = 0; i < invFreq.length; i++) {
                    invFreq[i] = (float) (invFreq[i] / rs.factor());
                }
            }
            case LLAMA3 -> applyLlama3(invFreq, rs);
            default -> {
                // NONE keeps the base frequencies; DYNAMIC recomputes per call from the longest position
            }
        }
    }

    private float[] baseInvFreq(double base) {
        float[] f = new float[dim / 2];
        for (int i = 0; i < f.length; i++) {
            float exponent = (float) (2 * i) / (float) dim; // float32, as arange(0, dim, 2).float() / dim
            f[i] = 1.0f / (float) Math.pow(base, exponent);
        }
        return f;
    }

    /** Llama 3.1: long wavelengths are divided by the factor, short ones kept, the middle band smoothed. */
    private static void applyLlama3(float[] invFreq, LlamaConfig.RopeScaling rs) {
        double oldContext = rs.originalMaxPositionEmbeddings();
        double lowFreqWavelen = oldContext / rs.lowFreqFactor();
        double highFreqWavelen = oldContext / rs.highFreqFactor();
        for (int i = 0; i < invFreq.length; i++) {
            float f = invFreq[i];
            double wavelen = 2 * Math.PI / f;
            float scaled = wavelen > lowFreqWavelen ? (float) (f / rs.factor()) : f;
            boolean medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
            if (medium) {
                double smooth = (oldContext / wavelen - rs.lowFreqFactor()) / (rs.highFreqFactor() - rs.lowFreqFactor());
                scaled = (float) ((1 - smooth) * scaled / rs.factor() + smooth * scaled);
            }
            invFreq[i] = scaled;
        }
    }

    /**
     * The inverse frequencies used for a call whose largest position is {@code maxPosition}.
     *
     * @param maxPosition the largest position id in the call
     * @return {@code (headDim / 2)} frequencies
     */
    float[] invFreqFor(long maxPosition) {
        LlamaConfig.RopeScaling rs = config.ropeScaling();
        if (rs.type() != LlamaConfig.RopeScaling.Type.DYNAMIC) {
            return invFreq;
        }
        // HF recomputes θ once the sequence is longer than max_position_embeddings:
        // θ' = θ · (factor·len/max − (factor − 1))^(d/(d−2)); shorter sequences use the plain θ.
        long seqLen = maxPosition + 1;
        int maxPos = config.maxPositionEmbeddings();
        if (seqLen <= maxPos) {
            return invFreq;
        }
        double base = config.ropeTheta()
                * Math.pow(rs.factor() * seqLen / maxPos - (rs.factor() - 1), (double) dim / (dim - 2));
        return baseInvFreq(base);
    }

    /**
     * The cos and sin tables for the given positions.
     *
     * @param manager owns the two arrays
     * @param positionIds {@code [batch][seq]} positions
     * @return {cos, sin}, each {@code (batch, 1, seq, headDim)}
     */
    public NDArray[] cosSin(NDManager manager, long[][] positionIds) {
        int b = positionIds.length;
        int l = positionIds[0].length;
        long maxPos = 0;
        for (long[] row : positionIds) {
            for (long p : row) {
                maxPos = Math.max(maxPos, p);
            }
        }
        float[] inv = invFreqFor(maxPos);
        int half = dim / 2;
        float[] cos = new float[b * l * dim]; // (batch, seq, headDim)
        float[] sin = new float[b * l * dim];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < l; j++) {
                float pos = (float) positionIds[i][j];
                int base = (i * l + j) * dim;
                for (int k = 0; k < half; k++) {
                    float freq = inv[k] * pos; // float32 product, as HF's float32 matmul
                    float c = (float) Math.cos(freq);
                    float s = (float) Math.sin(freq);
                    cos[base + k] = c;
                    cos[base + half + k] = c;
                    sin[base + k] = s;
                    sin[base + half + k] = s;
                }
            }
        }
        return new NDArray[] {NdArrays.floats(manager, cos, b, 1, l, dim), NdArrays.floats(manager, sin, b, 1, l, dim)};
    }

    /**
     * Applies the rotation: {@code x·cos + rotate_half(x)·sin}.
     *
     * @param x {@code (batch, heads, seq, headDim)}; its manager owns the result
     * @param cos {@code (batch, 1, seq, headDim)}
     * @param sin {@code (batch, 1, seq, headDim)}
     * @return the rotated array, same shape
     */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long d = x.getShape().get(3);
        NDArray x1 = x.get("..., :" + d / 2); // (batch, heads, seq, headDim/2)
        NDArray x2 = x.get("..., " + d / 2 + ":");
        NDArray rotated = x2.neg().concat(x1, -1); // rotate_half(x) = cat(-x2, x1)
        return x.mul(cos).add(rotated.mul(sin));
    }
}
