package org.vlalign.torch.internal.vit;

import org.vlalign.core.checkpoint.HfConfigs;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.vlalign.UnsupportedModelException;

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
        boolean qkvBias) {

    /** Validates. */
    public BlipVisionConfig {
        HfConfigs.checkTransformer("vision_config.", numHiddenLayers, hiddenSize, intermediateSize, numAttentionHeads);
        HfConfigs.checkImage("vision_config.", imageSize, patchSize, numChannels);
        if (hiddenSize <= 0 || numAttentionHeads <= 0 || hiddenSize % numAttentionHeads != 0) {
            throw new UnsupportedModelException(
                    "vision_config.hidden_size (" + hiddenSize + ") must be a positive multiple of"
                            + " vision_config.num_attention_heads (" + numAttentionHeads + ")");
        }
        if (patchSize <= 0 || imageSize <= 0 || imageSize % patchSize != 0) {
            throw new UnsupportedModelException(
                    "vision_config.image_size (" + imageSize + ") must be a positive multiple of"
                            + " vision_config.patch_size (" + patchSize + ")");
        }
    }

    /**
     * Reads a {@code vision_config} object, applying the Hugging Face 4.45 defaults for absent keys.
     *
     * @param json the {@code vision_config} object (may be empty)
     * @return the config
     * @throws UnsupportedModelException for an activation other than exact {@code gelu}
     */
    public static BlipVisionConfig fromJson(JsonObject json) {
        String act = string(json, "hidden_act", "gelu");
        if (!act.equals("gelu")) {
            throw new UnsupportedModelException(
                    "vision_config.hidden_act '" + act + "' is not supported; the BLIP vision encoder"
                            + " supports only 'gelu' (exact erf)");
        }
        return new BlipVisionConfig(
                integer(json, "hidden_size", 1408),
                integer(json, "intermediate_size", 6144),
                integer(json, "num_hidden_layers", 39),
                integer(json, "num_attention_heads", 16),
                integer(json, "image_size", 224),
                integer(json, "patch_size", 14),
                integer(json, "num_channels", 3),
                number(json, "layer_norm_eps", 1e-6),
                bool(json, "qkv_bias", true));
    }

    /**
     * The number of patches per image.
     *
     * @return {@code (imageSize / patchSize)^2}
     */
    public int numPatches() {
        int side = imageSize / patchSize;
        return side * side;
    }

    /**
     * The width of one attention head.
     *
     * @return {@code hiddenSize / numAttentionHeads}
     */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    static JsonElement present(JsonObject json, String key) {
        JsonElement e = json == null ? null : json.get(key);
        return e == null || e.isJsonNull() ? null : e;
    }

    static int integer(JsonObject json, String key, int fallback) {
        JsonElement e = present(json, key);
        return e == null ? fallback : e.getAsInt();
    }

    static double number(JsonObject json, String key, double fallback) {
        JsonElement e = present(json, key);
        return e == null ? fallback : e.getAsDouble();
    }

    static boolean bool(JsonObject json, String key, boolean fallback) {
        JsonElement e = present(json, key);
        return e == null ? fallback : e.getAsBoolean();
    }

    static String string(JsonObject json, String key, String fallback) {
        JsonElement e = present(json, key);
        return e == null ? fallback : e.getAsString();
    }
}
