package org.vlalign.torch.internal.clip;

import com.google.gson.JsonObject;
import org.vlalign.core.checkpoint.HfConfigs;

/**
 * The configuration of a {@code CLIPModel}: the text and vision sub-configs and the shared
 * projection width.
 *
 * <p>Immutable and thread-safe.
 *
 * @param text the text encoder's config
 * @param vision the vision tower's config
 * @param projectionDim the width of the joint embedding space
 * @since 0.1.0
 */
public record ClipConfig(ClipTextConfig text, ClipVisionConfig vision, int projectionDim) {

    /**
     * Reads a {@code CLIPModel} config.json.
     *
     * @param json the parsed file
     * @return the config
     */
    public static ClipConfig fromJson(JsonObject json) {
        return new ClipConfig(
                ClipTextConfig.fromJson(HfConfigs.subConfig(json, "text_config")),
                ClipVisionConfig.fromJson(HfConfigs.subConfig(json, "vision_config")),
                HfConfigs.getInt(json, "projection_dim", 512));
    }
}
