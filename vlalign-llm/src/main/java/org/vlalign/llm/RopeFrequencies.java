package org.vlalign.llm;

/**
 * The rotary-embedding inverse frequencies of a Llama config as Hugging Face transformers 4.45 computes
 * them: {@code inv_freq = 1 / θ^(2i/d)} in float32, modified by {@code rope_scaling} (linear, dynamic
 * NTK, Llama 3.1). Engine-free, so the torch and JVM engines rotate alike.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.2.0
 */
public final class RopeFrequencies {

    private final LlamaConfig config;
    private final int dim;
    private final float[] invFreq; // (headDim / 2)

    /**
     * Computes the frequencies of a config.
     *
     * @param config the model config
     */
    public RopeFrequencies(LlamaConfig config) {
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
     * The inverse frequencies used for a call whose largest position is {@code maxPosition}: constant
     * except with dynamic NTK scaling past {@code max_position_embeddings}.
     *
     * @param maxPosition the largest position id in the call
     * @return {@code (headDim / 2)} frequencies; do not modify
     */
    public float[] invFreqFor(long maxPosition) {
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
     * Whether the frequencies depend on the sequence length (dynamic NTK scaling): a cache of rotated keys
     * is then only valid while the sequence stays within {@code max_position_embeddings}.
     *
     * @return true for dynamic scaling
     */
    public boolean dependsOnLength() {
        return config.ropeScaling().type() == LlamaConfig.RopeScaling.Type.DYNAMIC;
    }
}
