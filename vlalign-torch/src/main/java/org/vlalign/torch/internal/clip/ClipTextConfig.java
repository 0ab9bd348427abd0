package org.vlalign.torch.internal.clip;


import com.google.gson.JsonObject;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.torch.internal.EncoderConfig;

/**
 * The configuration of a CLIP text encoder ({@code CLIPTextConfig}), with the Hugging Face 4.45
 * defaults for omitted keys.
 *
 * <p>Immutable and thread-safe.
 *
 * @param vocabSize vocabulary size
 * @param hiddenSize width of the encoder
 * @param intermediateSize width of the MLP
 * @param numHiddenLayers number of encoder layers
 * @param numAttentionHeads number of attention heads
 * @param maxPositionEmbeddings the longest input, in tokens, including start and end tokens
 * @param hiddenAct MLP activation
 * @param layerNormEps layer-norm epsilon
 * @param eosTokenId end-of-text id; {@code 2} selects the legacy pooling rule (argmax of the ids)
 * @param projectionDim width of the search projection
 * @since 0.1.0
 */
public record ClipTextConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int maxPositionEmbeddings,
        String hiddenAct,
        double layerNormEps,
        int eosTokenId,
        int projectionDim) implements EncoderConfig {

    /** Validates. */
    public ClipTextConfig {
        HfConfigs.checkTransformer("text_config.", numHiddenLayers, hiddenSize, intermediateSize, numAttentionHeads);
        HfConfigs.checkRange("text_config.vocab_size", vocabSize, 1, HfConfigs.MAX_VOCAB);
        HfConfigs.checkRange("text_config.max_position_embeddings", maxPositionEmbeddings, 1, HfConfigs.MAX_POSITIONS);
        HfConfigs.checkHeadSplit("text_config.", hiddenSize, numAttentionHeads);
        ClipActivation.of(hiddenAct);
    }

    /**
     * Reads a {@code text_config} object.
     *
     * @param json the object
     * @return the config
     */
    public static ClipTextConfig fromJson(JsonObject json) {
        return new ClipTextConfig(
                HfConfigs.getInt(json, "vocab_size", 49408),
                HfConfigs.getInt(json, "hidden_size", 512),
                HfConfigs.getInt(json, "intermediate_size", 2048),
                HfConfigs.getInt(json, "num_hidden_layers", 12),
                HfConfigs.getInt(json, "num_attention_heads", 8),
                HfConfigs.getInt(json, "max_position_embeddings", 77),
                HfConfigs.getString(json, "hidden_act", "quick_gelu"),
                HfConfigs.getDouble(json, "layer_norm_eps", 1e-5),
                HfConfigs.getIntOrList(json, "eos_token_id", 49407)[0],
                HfConfigs.getInt(json, "projection_dim", 512));
    }
}
