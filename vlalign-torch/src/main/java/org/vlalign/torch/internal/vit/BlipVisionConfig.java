package org.vlalign.torch.internal.vit;

import org.vlalign.core.checkpoint.HfConfigs;
import com.google.gson.JsonObject;
import org.vlalign.UnsupportedModelException;
import org.vlalign.torch.internal.EncoderConfig;

/**
 * Configuration of the BLIP-2 / InstructBLIP vision encoder, with Hugging Face 4.45 names and defaults
 * ({@code Blip2VisionConfig} and {@code InstructBlipVisionConfig} share them).
 *
 * <p>Immutable and thread-safe.
 *
 * @param hiddenSize the width of the patch embeddings
 * @param intermediateSize the width of the MLP
 * @param numHiddenLayers the number of encoder layers
 * @param numAttentionHeads the number of attention heads
 * @param imageSize the input resolution (square)
 * @param patchSize the patch size (square)
 * @param numChannels the number of image channels
 * @param layerNormEps the LayerNorm epsilon
 * @param qkvBias whether the fused qkv projection has a bias
 * @since 0.1.0
 */
public record BlipVisionConfig(
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int imageSize,
        int patchSize,
        int numChannels,
        double layerNormEps,
        boolean qkvBias) implements EncoderConfig.Vision {

    /** Validates. */
    public BlipVisionConfig {
        HfConfigs.checkTransformer("vision_config.", numHiddenLayers, hiddenSize, intermediateSize, numAttentionHeads);
        HfConfigs.checkImage("vision_config.", imageSize, patchSize, numChannels);
        HfConfigs.checkHeadSplit("vision_config.", hiddenSize, numAttentionHeads);
    }

    /**
     * Reads a {@code vision_config} object, applying the Hugging Face 4.45 defaults for absent keys.
     *
     * @param json the {@code vision_config} object (may be empty)
     * @return the config
     * @throws UnsupportedModelException for an activation other than exact {@code gelu}
     */
    public static BlipVisionConfig fromJson(JsonObject json) {
        String act = HfConfigs.getString(json, "hidden_act", "gelu");
        if (!act.equals("gelu")) {
            throw new UnsupportedModelException(
                    "vision_config.hidden_act '" + act + "' is not supported; the BLIP vision encoder"
                            + " supports only 'gelu' (exact erf)");
        }
        return new BlipVisionConfig(
                HfConfigs.getInt(json, "hidden_size", 1408),
                HfConfigs.getInt(json, "intermediate_size", 6144),
                HfConfigs.getInt(json, "num_hidden_layers", 39),
                HfConfigs.getInt(json, "num_attention_heads", 16),
                HfConfigs.getInt(json, "image_size", 224),
                HfConfigs.getInt(json, "patch_size", 14),
                HfConfigs.getInt(json, "num_channels", 3),
                HfConfigs.getDouble(json, "layer_norm_eps", 1e-6),
                HfConfigs.getBoolean(json, "qkv_bias", true));
    }
}
