package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.llm.RopeFrequencies;
import org.vlalign.torch.internal.NdArrays;

/**
 * Rotary position embeddings as Hugging Face 4.45 computes them: {@code inv_freq = 1 / θ^(2i/d)}
 * (modified by {@code rope_scaling}), {@code emb = cat(freqs, freqs)} with {@code freqs = position ·
 * inv_freq}, applied with {@code rotate_half} (halves, not interleaved pairs).
 *
 * <p>The frequencies come from {@link RopeFrequencies}. The cos/sin tables are computed in Java for the
 * exact positions of a call (float32 products, as HF's float32 matmul of a rank-1 outer product), so
 * padded rows with arbitrary position ids cost nothing extra. Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class LlamaRotaryEmbedding {

    private final int dim;
    private final RopeFrequencies frequencies;

    /**
     * Creates the embedding for a config.
     *
     * @param config the model config
     */
    public LlamaRotaryEmbedding(LlamaConfig config) {
        this.dim = config.headDim();
        this.frequencies = new RopeFrequencies(config);
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
        float[] inv = frequencies.invFreqFor(maxPos);
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
