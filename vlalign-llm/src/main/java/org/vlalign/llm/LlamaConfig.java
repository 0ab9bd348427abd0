package org.vlalign.llm;

import com.google.gson.JsonObject;
import java.util.Arrays;
import org.vlalign.CheckpointException;
import org.vlalign.Checks;
import org.vlalign.core.checkpoint.HfConfigs;

/**
 * The Llama hyper-parameters, with Hugging Face names and transformers 4.45 defaults for keys that
 * {@code config.json} omits.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * LlamaConfig cfg = LlamaConfig.fromJson(checkpoint.config());
 * // inside a VLM: LlamaConfig.fromJson(HfConfigs.subConfig(checkpoint.config(), "text_config"))
 * }</pre>
 *
 * @param vocabSize {@code vocab_size} (32000)
 * @param hiddenSize {@code hidden_size} (4096)
 * @param intermediateSize {@code intermediate_size} (11008)
 * @param numHiddenLayers {@code num_hidden_layers} (32)
 * @param numAttentionHeads {@code num_attention_heads} (32)
 * @param numKeyValueHeads {@code num_key_value_heads} (= heads)
 * @param headDim {@code head_dim} (= hidden / heads)
 * @param rmsNormEps {@code rms_norm_eps} (1e-6)
 * @param ropeTheta {@code rope_theta} (10000)
 * @param ropeScaling {@code rope_scaling} (none)
 * @param maxPositionEmbeddings {@code max_position_embeddings} (2048)
 * @param tieWordEmbeddings {@code tie_word_embeddings} (false)
 * @param attentionBias {@code attention_bias} (false)
 * @param mlpBias {@code mlp_bias} (false)
 * @param bosTokenId {@code bos_token_id} (1); -1 if null
 * @param eosTokenIds {@code eos_token_id} (2), an int or a list
 * @param padTokenId {@code pad_token_id} (none: -1)
 * @since 0.1.0
 */
public record LlamaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean mlpBias,
        int bosTokenId,
        int[] eosTokenIds,
        int padTokenId) {

    /** Validates and copies. */
    public LlamaConfig {
        Checks.checkNotNull(ropeScaling, "ropeScaling");
        eosTokenIds = eosTokenIds.clone();
        HfConfigs.checkRange("vocab_size", vocabSize, 1, HfConfigs.MAX_VOCAB);
        HfConfigs.checkTransformer("", numHiddenLayers, hiddenSize, intermediateSize, numAttentionHeads);
        HfConfigs.checkRange("num_key_value_heads", numKeyValueHeads, 1, HfConfigs.MAX_HEADS);
        HfConfigs.checkRange("head_dim", headDim, 1, HfConfigs.MAX_WIDTH);
        HfConfigs.checkRange("max_position_embeddings", maxPositionEmbeddings, 1, HfConfigs.MAX_POSITIONS);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new CheckpointException("config num_attention_heads=" + numAttentionHeads
                    + " is not a multiple of num_key_value_heads=" + numKeyValueHeads + "; the config is invalid");
        }
        if (headDim % 2 != 0) {
            throw new CheckpointException("config head_dim=" + headDim + " must be even for rotary embeddings");
        }
    }

    /**
     * Parses a Llama config (a whole {@code config.json} or a VLM's {@code text_config}).
     *
     * @param c the JSON object
     * @return the config
     * @throws CheckpointException if a value has the wrong type
     * @throws org.vlalign.UnsupportedModelException if {@code hidden_act} is not silu, or {@code
     *     rope_scaling.type} is not linear, dynamic or llama3
     */
    public static LlamaConfig fromJson(JsonObject c) {
        HfConfigs.requireOneOf(c, "hidden_act", "silu", "silu");
        int hidden = HfConfigs.getInt(c, "hidden_size", 4096);
        int heads = HfConfigs.getInt(c, "num_attention_heads", 32);
        int kvHeads = HfConfigs.getInt(c, "num_key_value_heads", heads);
        int headDim = HfConfigs.getInt(c, "head_dim", heads > 0 ? hidden / heads : 0);
        return new LlamaConfig(
                HfConfigs.getInt(c, "vocab_size", 32000),
                hidden,
                HfConfigs.getInt(c, "intermediate_size", 11008),
                HfConfigs.getInt(c, "num_hidden_layers", 32),
                heads,
                kvHeads,
                headDim,
                HfConfigs.getDouble(c, "rms_norm_eps", 1e-6),
                HfConfigs.getDouble(c, "rope_theta", 10000.0),
                RopeScaling.fromJson(c),
                HfConfigs.getInt(c, "max_position_embeddings", 2048),
                HfConfigs.getBoolean(c, "tie_word_embeddings", false),
                HfConfigs.getBoolean(c, "attention_bias", false),
                HfConfigs.getBoolean(c, "mlp_bias", false),
                HfConfigs.getInt(c, "bos_token_id", 1),
                HfConfigs.getIntOrList(c, "eos_token_id", 2),
                HfConfigs.getInt(c, "pad_token_id", -1));
    }

    @Override
    public int[] eosTokenIds() {
        return eosTokenIds.clone();
    }

    /**
     * How many query heads share one key/value head.
     *
     * @return {@code numAttentionHeads / numKeyValueHeads}
     */
    public int numKeyValueGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LlamaConfig x
                && vocabSize == x.vocabSize && hiddenSize == x.hiddenSize && intermediateSize == x.intermediateSize
                && numHiddenLayers == x.numHiddenLayers && numAttentionHeads == x.numAttentionHeads
                && numKeyValueHeads == x.numKeyValueHeads && headDim == x.headDim
                && Double.compare(rmsNormEps, x.rmsNormEps) == 0 && Double.compare(ropeTheta, x.ropeTheta) == 0
                && ropeScaling.equals(x.ropeScaling) && maxPositionEmbeddings == x.maxPositionEmbeddings
                && tieWordEmbeddings == x.tieWordEmbeddings && attentionBias == x.attentionBias
                && mlpBias == x.mlpBias && bosTokenId == x.bosTokenId && Arrays.equals(eosTokenIds, x.eosTokenIds)
                && padTokenId == x.padTokenId;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
            numKeyValueHeads, headDim, maxPositionEmbeddings});
    }

    @Override
    public String toString() {
        return "LlamaConfig[vocab=" + vocabSize + ", hidden=" + hiddenSize + ", intermediate=" + intermediateSize
                + ", layers=" + numHiddenLayers + ", heads=" + numAttentionHeads + "/" + numKeyValueHeads
                + ", headDim=" + headDim + ", eps=" + rmsNormEps + ", theta=" + ropeTheta + ", " + ropeScaling
                + ", maxPos=" + maxPositionEmbeddings + ", tied=" + tieWordEmbeddings + "]";
    }

    /**
     * The {@code rope_scaling} option.
     *
     * @param type the scaling type
     * @param factor {@code factor} (1 for none)
     * @param lowFreqFactor llama3 {@code low_freq_factor}
     * @param highFreqFactor llama3 {@code high_freq_factor}
     * @param originalMaxPositionEmbeddings llama3 {@code original_max_position_embeddings}
     */
    public record RopeScaling(
            Type type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {

        /** No scaling. */
        public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1.0, 0, 0, 0);

        /** The supported scaling types. */
        public enum Type {
            /** Plain RoPE ({@code rope_scaling: null} or {@code "default"}). */
            NONE,
            /** Positions divided by the factor. */
            LINEAR,
            /** NTK-aware base change once the sequence exceeds {@code max_position_embeddings}. */
            DYNAMIC,
            /** Llama 3.1 wavelength-dependent scaling. */
            LLAMA3
        }

        /**
         * Parses {@code rope_scaling} (keys {@code rope_type} or the older {@code type}).
         *
         * @param config the model config holding {@code rope_scaling}
         * @return the option
         * @throws org.vlalign.UnsupportedModelException for other types, naming {@code rope_scaling.type}
         */
        public static RopeScaling fromJson(JsonObject config) {
            double partial = HfConfigs.getDouble(config, "partial_rotary_factor", 1.0);
            if (partial != 1.0) {
                throw HfConfigs.unsupported("partial_rotary_factor", partial, "1.0");
            }
            if (HfConfigs.isAbsent(config, "rope_scaling")) {
                return NONE;
            }
            JsonObject rs = HfConfigs.subConfig(config, "rope_scaling");
            String type = HfConfigs.getString(rs, "rope_type", HfConfigs.getString(rs, "type", "default"));
            double factor = HfConfigs.getDouble(rs, "factor", 1.0);
            return switch (type) {
                case "default" -> NONE;
                case "linear" -> new RopeScaling(Type.LINEAR, requireFactor(factor), 0, 0, 0);
                case "dynamic" -> new RopeScaling(Type.DYNAMIC, requireFactor(factor), 0, 0, 0);
                case "llama3" -> new RopeScaling(Type.LLAMA3, requireFactor(factor),
                        HfConfigs.getDouble(rs, "low_freq_factor", 1.0),
                        HfConfigs.getDouble(rs, "high_freq_factor", 4.0),
                        HfConfigs.getInt(rs, "original_max_position_embeddings", 8192));
                default -> throw HfConfigs.unsupported("rope_scaling.type", type, "default", "linear", "dynamic",
                        "llama3");
            };
        }

        private static double requireFactor(double factor) {
            if (!(factor >= 1.0)) {
                throw new CheckpointException("config key 'rope_scaling.factor' must be >= 1 but is " + factor);
            }
            return factor;
        }
    }
}
