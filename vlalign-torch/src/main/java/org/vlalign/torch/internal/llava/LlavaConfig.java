package org.vlalign.torch.internal.llava;

import com.google.gson.JsonObject;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.torch.internal.clip.ClipVisionConfig;

/**
 * The configuration of a {@code LlavaForConditionalGeneration} checkpoint, with the transformers 4.45
 * defaults for omitted keys.
 *
 * <p>Immutable and thread-safe (the JSON sub-configs are private copies).
 *
 * @param imageTokenIndex the id of the {@code <image>} token
 * @param imageSeqLength how many positions one image takes (the number of selected patches)
 * @param projectorHiddenAct the projector's activation
 * @param visionFeatureLayer the hidden-state index read from the vision tower, negative from the end
 * @param visionFeatureSelectStrategy {@code default} (drop the class token) or {@code full}
 * @param vision the vision tower's config
 * @param visionConfigJson the {@code vision_config} object, with 4.45's LLaVA defaults when absent
 * @param textConfigJson the {@code text_config} object
 * @since 0.1.0
 */
public record LlavaConfig(
        int imageTokenIndex,
        int imageSeqLength,
        String projectorHiddenAct,
        int visionFeatureLayer,
        String visionFeatureSelectStrategy,
        ClipVisionConfig vision,
        JsonObject visionConfigJson,
        JsonObject textConfigJson) {

    /** The model type this config describes. */
    public static final String MODEL_TYPE = "llava";
    private static final String CLIP_VISION_MODEL = "clip_vision_model";

    /** Copies the JSON objects. */
    public LlavaConfig {
        visionConfigJson = visionConfigJson.deepCopy();
        textConfigJson = textConfigJson.deepCopy();
    }

    /**
     * Reads a LLaVA config.json.
     *
     * @param json the parsed file
     * @return the config
     * @throws UnsupportedModelException if the vision tower is not CLIP or the text model not Llama
     */
    public static LlavaConfig fromJson(JsonObject json) {
        JsonObject vision;
        if (HfConfigs.isAbsent(json, "vision_config")) {
            // LlavaConfig's default tower: CLIP ViT-L/14 at 336 px.
            vision = new JsonObject();
            vision.addProperty("model_type", CLIP_VISION_MODEL);
            vision.addProperty("intermediate_size", 4096);
            vision.addProperty("hidden_size", 1024);
            vision.addProperty("patch_size", 14);
            vision.addProperty("image_size", 336);
            vision.addProperty("num_hidden_layers", 24);
            vision.addProperty("num_attention_heads", 16);
            vision.addProperty("projection_dim", 768);
        } else {
            vision = HfConfigs.subConfig(json, "vision_config");
        }
        String visionType = HfConfigs.getString(vision, "model_type", CLIP_VISION_MODEL);
        if (!CLIP_VISION_MODEL.equals(visionType)) {
            throw new UnsupportedModelException(
                    "LLaVA vision_config.model_type '" + visionType + "' is not supported; only "
                            + CLIP_VISION_MODEL + " (LLaVA-1.5) is.");
        }
        JsonObject text = HfConfigs.isAbsent(json, "text_config")
                ? new JsonObject() : HfConfigs.subConfig(json, "text_config");
        String textType = HfConfigs.getString(text, "model_type", "llama");
        if (!"llama".equals(textType)) {
            throw new UnsupportedModelException(
                    "LLaVA text_config.model_type '" + textType + "' is not supported; only llama"
                            + " (Vicuna, Llama-2) is.");
        }
        return new LlavaConfig(
                HfConfigs.getInt(json, "image_token_index", 32000),
                HfConfigs.getInt(json, "image_seq_length", 576),
                HfConfigs.getString(json, "projector_hidden_act", "gelu"),
                HfConfigs.getInt(json, "vision_feature_layer", -2),
                HfConfigs.requireOneOf(json, "vision_feature_select_strategy", "default", "default", "full"),
                ClipVisionConfig.fromJson(vision),
                vision,
                text);
    }

    @Override
    public JsonObject visionConfigJson() {
        return visionConfigJson.deepCopy();
    }

    @Override
    public JsonObject textConfigJson() {
        return textConfigJson.deepCopy();
    }
}
