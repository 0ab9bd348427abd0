package org.vlalign.torch.internal.qformer;

import org.vlalign.core.checkpoint.HfConfigs;

import com.google.gson.JsonObject;
import org.vlalign.UnsupportedModelException;
import org.vlalign.torch.internal.EncoderConfig;

/**
 * Configuration of the Q-Former with Hugging Face 4.45 names and defaults ({@code Blip2QFormerConfig},
 * {@code InstructBlipQFormerConfig}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param vocabSize the text vocabulary size
 * @param hiddenSize the hidden width
 * @param numHiddenLayers the number of layers
 * @param numAttentionHeads the number of heads
 * @param intermediateSize the feed-forward width
 * @param maxPositionEmbeddings the number of learned text positions
 * @param layerNormEps the LayerNorm epsilon
 * @param crossAttentionFrequency cross-attention in layers with {@code index % frequency == 0}
 * @param encoderHiddenSize the width of the vision states the queries attend to
 * @param useQformerTextInput whether layers carry the text feed-forward ({@code intermediate}/{@code output})
 * @param padTokenId the text padding id
 * @since 0.1.0
 */
public record QFormerConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        int maxPositionEmbeddings,
        double layerNormEps,
        int crossAttentionFrequency,
        int encoderHiddenSize,
        boolean useQformerTextInput,
        int padTokenId) implements EncoderConfig {

    /** Validates. */
    public QFormerConfig {
        HfConfigs.checkTransformer("qformer_config.", numHiddenLayers, hiddenSize, intermediateSize, numAttentionHeads);
        HfConfigs.checkRange("qformer_config.vocab_size", vocabSize, 1, HfConfigs.MAX_VOCAB);
        HfConfigs.checkRange("qformer_config.max_position_embeddings", maxPositionEmbeddings, 1, HfConfigs.MAX_POSITIONS);
        HfConfigs.checkRange("qformer_config.encoder_hidden_size", encoderHiddenSize, 1, HfConfigs.MAX_WIDTH);
        HfConfigs.checkHeadSplit("qformer_config.", hiddenSize, numAttentionHeads);
        HfConfigs.checkRange("qformer_config.cross_attention_frequency", crossAttentionFrequency, 1,
                HfConfigs.MAX_LAYERS);
    }

    /**
     * Reads a {@code qformer_config} object with the Hugging Face 4.45 defaults.
     *
     * @param json the {@code qformer_config} object (may be empty)
     * @param encoderHiddenSize the vision hidden size ({@code Blip2Config} overrides the sub-config's value
     *     with it)
     * @param textInputDefault the default of {@code use_qformer_text_input} (false for BLIP-2, true for the
     *     InstructBLIP Q-Former, which always has text feed-forwards)
     * @return the config
     * @throws UnsupportedModelException for options this implementation does not support
     */
    public static QFormerConfig fromJson(
            JsonObject json, int encoderHiddenSize, boolean textInputDefault) {
        String act = HfConfigs.getString(json, "hidden_act", "gelu");
        if (!act.equals("gelu")) {
            throw new UnsupportedModelException(
                    "qformer_config.hidden_act '" + act + "' is not supported; only 'gelu' (exact erf)");
        }
        String positions = HfConfigs.getString(json, "position_embedding_type", "absolute");
        if (!positions.equals("absolute")) {
            throw new UnsupportedModelException(
                    "qformer_config.position_embedding_type '" + positions
                            + "' is not supported; only 'absolute'");
        }
        return new QFormerConfig(
                HfConfigs.getInt(json, "vocab_size", 30522),
                HfConfigs.getInt(json, "hidden_size", 768),
                HfConfigs.getInt(json, "num_hidden_layers", 12),
                HfConfigs.getInt(json, "num_attention_heads", 12),
                HfConfigs.getInt(json, "intermediate_size", 3072),
                HfConfigs.getInt(json, "max_position_embeddings", 512),
                HfConfigs.getDouble(json, "layer_norm_eps", 1e-12),
                HfConfigs.getInt(json, "cross_attention_frequency", 2),
                encoderHiddenSize,
                HfConfigs.getBoolean(json, "use_qformer_text_input", textInputDefault),
                HfConfigs.getInt(json, "pad_token_id", 0));
    }

    /**
     * Whether layer {@code index} has cross-attention.
     *
     * @param index the layer index
     * @return {@code index % crossAttentionFrequency == 0}
     */
    public boolean hasCrossAttention(int index) {
        return index % crossAttentionFrequency == 0;
    }
}
