package org.vlalign.torch.internal.clip;

import com.google.gson.JsonObject;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.torch.internal.EncoderConfig;

/**
 * The configuration of a CLIP vision tower ({@code CLIPVisionConfig}), with the Hugging Face 4.45
 * defaults for omitted keys.
 *
 * <p>Immutable and thread-safe.
 *
 * @param hiddenSize width of the encoder
 * @param intermediateSize width of the MLP
 * @param numHiddenLayers number of encoder layers
 * @param numAttentionHeads number of attention heads
 * @param numChannels image channels
 * @param imageSize image side in pixels
 * @param patchSize patch side in pixels
 * @param hiddenAct MLP activation: {@code quick_gelu}, {@code gelu}, {@code gelu_new}, {@code relu}
 * @param layerNormEps layer-norm epsilon
 * @param projectionDim width of the search projection ({@code CLIPModel} only)
 * @since 0.1.0
 */
public record ClipVisionConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numChannels,
        int imageSize,
        int patchSize,
        String hiddenAct,
        double layerNormEps,
        int projectionDim) implements EncoderConfig.Vision {

    /** Validates. */
    public ClipVisionConfig {
        HfConfigs.checkTransformer("vision_config.", numHiddenLayers, hiddenSize, intermediateSize, numAttentionHeads);
        HfConfigs.checkImage("vision_config.", imageSize, patchSize, numChannels);
        HfConfigs.checkHeadSplit("vision_config.", hiddenSize, numAttentionHeads);
        ClipActivation.of(hiddenAct);
    }

    /**
     * Reads a {@code vision_config} object (or a {@code CLIPVisionModel} config.json).
     *
     * @param json the object
     * @return the config
     */
    public static ClipVisionConfig fromJson(JsonObject json) {
        return new ClipVisionConfig(
                HfConfigs.getInt(json, "hidden_size", 768),
                HfConfigs.getInt(json, "intermediate_size", 3072),
                HfConfigs.getInt(json, "num_hidden_layers", 12),
                HfConfigs.getInt(json, "num_attention_heads", 12),
                HfConfigs.getInt(json, "num_channels", 3),
                HfConfigs.getInt(json, "image_size", 224),
                HfConfigs.getInt(json, "patch_size", 32),
                HfConfigs.getString(json, "hidden_act", "quick_gelu"),
                HfConfigs.getDouble(json, "layer_norm_eps", 1e-5),
                HfConfigs.getInt(json, "projection_dim", 512));
    }
}
