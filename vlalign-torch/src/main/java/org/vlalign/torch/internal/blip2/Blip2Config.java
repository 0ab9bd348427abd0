package org.vlalign.torch.internal.blip2;

import static org.vlalign.core.checkpoint.HfConfigs.checkRange;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.torch.internal.qformer.QFormerConfig;
import org.vlalign.torch.internal.vit.BlipVisionConfig;

/**
 * The composite configuration of a BLIP-2 ({@code model_type} {@code blip-2}) or InstructBLIP
 * ({@code instructblip}) checkpoint: vision, Q-Former and text sub-configs plus the query count, with the
 * Hugging Face 4.45 defaults for absent keys.
 *
 * <p>Immutable and thread-safe (the text config object must not be modified).
 *
 * @param modelType {@code blip-2} or {@code instructblip}
 * @param architectures the {@code architectures} entry, possibly empty
 * @param vision the vision config
 * @param qformer the Q-Former config; its {@code encoderHiddenSize} is the vision width, as HF sets it
 * @param numQueryTokens the number of learned queries
 * @param imageTextHiddenSize the width of the retrieval projections (BLIP-2 only)
 * @param textConfig the raw {@code text_config} object, empty if absent
 * @param imageTokenIndex {@code image_token_index}, or -1 when unset (the 4.45 "legacy" layout: image rows
 *     are concatenated in front of the prompt instead of replacing image tokens)
 * @since 0.1.0
 */
public record Blip2Config(
        String modelType,
        List<String> architectures,
        BlipVisionConfig vision,
        QFormerConfig qformer,
        int numQueryTokens,
        int imageTextHiddenSize,
        JsonObject textConfig,
        int imageTokenIndex) {

    /** The {@code model_type} of BLIP-2 checkpoints. */
    public static final String BLIP_2 = "blip-2";
    /** The {@code model_type} of InstructBLIP checkpoints. */
    public static final String INSTRUCTBLIP = "instructblip";

    /** Validates and copies. */
    public Blip2Config {
        architectures = List.copyOf(architectures);
        checkRange("num_query_tokens", numQueryTokens, 1, 4096);
    }

    /**
     * Reads a top-level {@code config.json} object.
     *
     * @param json the config
     * @return the config
     * @throws UnsupportedModelException if the model type is not BLIP-2 / InstructBLIP or an option is not
     *     supported
     */
    public static Blip2Config fromJson(JsonObject json) {
        String type = HfConfigs.getString(json, "model_type", "");
        if (!type.equals(BLIP_2) && !type.equals(INSTRUCTBLIP)) {
            throw new UnsupportedModelException(
                    "model_type '" + type + "' is not a BLIP-2 model; expected '" + BLIP_2 + "' or '"
                            + INSTRUCTBLIP + "'");
        }
        List<String> architectures = new ArrayList<>();
        JsonElement arch = json.get("architectures");
        if (arch != null && arch.isJsonArray()) {
            for (JsonElement e : (JsonArray) arch) {
                architectures.add(e.getAsString());
            }
        }
        BlipVisionConfig vision = BlipVisionConfig.fromJson(HfConfigs.subConfig(json, "vision_config"));
        // InstructBLIP's Q-Former always carries the text feed-forwards; BLIP-2's only with
        // use_qformer_text_input (default false in 4.45).
        QFormerConfig qformer = QFormerConfig.fromJson(
                HfConfigs.subConfig(json, "qformer_config"), vision.hiddenSize(), type.equals(INSTRUCTBLIP));
        return new Blip2Config(
                type,
                architectures,
                vision,
                qformer,
                HfConfigs.getInt(json, "num_query_tokens", 32),
                HfConfigs.getInt(json, "image_text_hidden_size", 256),
                HfConfigs.subConfig(json, "text_config"),
                HfConfigs.getInt(json, "image_token_index", -1));
    }

    /**
     * Whether this is an InstructBLIP checkpoint (instruction-aware Q-Former).
     *
     * @return true for {@code instructblip}
     */
    public boolean instructionAware() {
        return modelType.equals(INSTRUCTBLIP);
    }

    /**
     * The {@code model_type} of the language model.
     *
     * @return e.g. {@code llama}; {@code opt} (the 4.45 default) when {@code text_config} has none
     */
    public String textModelType() {
        JsonElement e = textConfig.get("model_type");
        if (e != null && !e.isJsonNull()) {
            return e.getAsString();
        }
        return "opt";
    }

}
