package org.vlalign.llm;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.vlalign.CheckpointException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;

/**
 * The settings of a LoRA adapter, as PEFT's {@code LoraConfig} names them in {@code adapter_config.json}:
 * the rank {@code r}, {@code lora_alpha}, {@code lora_dropout}, {@code target_modules} and {@code use_rslora}.
 *
 * <p>An adapted linear layer computes {@code W x + s · B A dropout(x)} with {@code A (r, in)}, {@code B (out, r)}
 * and the scale {@code s = alpha / r} ({@code alpha / √r} with rsLoRA). This one record is what the trainer
 * writes and what both engines read, so the file layout lives in one place ({@link #toJson}, {@link #fromJson}).
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * LoraConfig config = LoraConfig.of(8, 16, "q_proj", "v_proj").withDropout(0.05);
 * }</pre>
 *
 * @param rank the rank r, at least 1
 * @param alpha {@code lora_alpha}, positive
 * @param dropout the dropout applied to the adapter's input while training, in {@code [0, 1)}
 * @param targetModules the module names to adapt (e.g. {@code q_proj}, {@code down_proj}), at least one
 * @param rsLora whether the scale is {@code alpha / √r} (rank-stabilised LoRA) instead of {@code alpha / r}
 * @since 0.2.0
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targetModules, boolean rsLora) {

    /** PEFT's default rank when a config omits {@code r}. */
    static final int DEFAULT_RANK = 8;

    /** Validates and copies the target modules. */
    public LoraConfig {
        if (rank < 1) {
            throw new InvalidArgumentException("LoRA rank r must be at least 1 but is " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new InvalidArgumentException("lora_alpha must be positive and finite but is " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new InvalidArgumentException("lora_dropout must be in [0, 1) but is " + dropout);
        }
        if (targetModules == null || targetModules.isEmpty()) {
            throw new InvalidArgumentException("a LoRA adapter needs at least one target module, e.g. q_proj, v_proj");
        }
        for (String m : targetModules) {
            if (m == null || m.isBlank()) {
                throw new InvalidArgumentException("target module names must not be blank but got " + targetModules);
            }
        }
        targetModules = List.copyOf(targetModules);
    }

    /**
     * A config without dropout and with the plain {@code alpha / r} scale.
     *
     * @param rank r
     * @param alpha lora_alpha
     * @param targetModules the module names
     * @return the config
     */
    public static LoraConfig of(int rank, double alpha, String... targetModules) {
        return new LoraConfig(rank, alpha, 0, List.of(targetModules), false);
    }

    /**
     * This config with another dropout.
     *
     * @param rate the dropout rate in {@code [0, 1)}
     * @return the new config
     */
    public LoraConfig withDropout(double rate) {
        return new LoraConfig(rank, alpha, rate, targetModules, rsLora);
    }

    /**
     * The factor in front of {@code B A}.
     *
     * @return {@code alpha / r}, or {@code alpha / √r} with rsLoRA
     */
    public double scale() {
        return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /**
     * Whether a module name (the last segment of a module path, e.g. {@code q_proj}) is targeted.
     *
     * @param moduleName the name
     * @return true if listed
     */
    public boolean targets(String moduleName) {
        return targetModules.contains(moduleName);
    }

    /**
     * The {@code adapter_config.json} object PEFT writes for this config.
     *
     * @return a new JSON object
     */
    public JsonObject toJson() {
        JsonObject c = new JsonObject();
        c.addProperty("peft_type", "LORA");
        c.addProperty("task_type", "CAUSAL_LM");
        c.addProperty("r", rank);
        c.addProperty("lora_alpha", alpha);
        c.addProperty("lora_dropout", dropout);
        c.addProperty("bias", "none");
        c.addProperty("fan_in_fan_out", false);
        c.addProperty("use_rslora", rsLora);
        c.addProperty("use_dora", false);
        JsonArray tm = new JsonArray();
        targetModules.forEach(tm::add);
        c.add("target_modules", tm);
        return c;
    }

    /**
     * Reads an {@code adapter_config.json} object, with PEFT's defaults for omitted fields.
     *
     * @param c the object
     * @param source where it came from, for messages
     * @return the config
     * @throws UnsupportedModelException if it is not LoRA or uses options vlalign does not implement (DoRA,
     *     {@code fan_in_fan_out})
     * @throws CheckpointException if a value is out of range
     */
    public static LoraConfig fromJson(JsonObject c, Object source) {
        String type = c.has("peft_type") ? c.get("peft_type").getAsString() : "";
        if (!type.equals("LORA")) {
            throw new UnsupportedModelException(source + " has peft_type '" + type + "'; vlalign loads LORA adapters");
        }
        if (c.has("fan_in_fan_out") && c.get("fan_in_fan_out").getAsBoolean()) {
            throw new UnsupportedModelException(source + " sets fan_in_fan_out (Conv1D layers, GPT-2 style);"
                    + " Llama's linear layers need it false");
        }
        if (c.has("use_dora") && c.get("use_dora").getAsBoolean()) {
            throw new UnsupportedModelException(source + " is a DoRA adapter (use_dora); vlalign merges plain LoRA");
        }
        int rank = c.has("r") ? c.get("r").getAsInt() : DEFAULT_RANK;
        double alpha = c.has("lora_alpha") ? c.get("lora_alpha").getAsDouble() : DEFAULT_RANK;
        double dropout = c.has("lora_dropout") && !c.get("lora_dropout").isJsonNull()
                ? c.get("lora_dropout").getAsDouble()
                : 0;
        boolean rs = c.has("use_rslora") && c.get("use_rslora").getAsBoolean();
        List<String> modules = new ArrayList<>();
        JsonElement tm = c.get("target_modules");
        if (tm != null && tm.isJsonArray()) {
            for (JsonElement m : tm.getAsJsonArray()) {
                modules.add(m.getAsString());
            }
        } else if (tm != null && tm.isJsonPrimitive()) {
            modules.add(tm.getAsString()); // PEFT also accepts one regular expression here
        }
        if (modules.isEmpty()) {
            modules.add("*"); // unknown: the weights file says which modules are adapted
        }
        try {
            return new LoraConfig(rank, alpha, dropout, modules, rs);
        } catch (InvalidArgumentException e) {
            throw new CheckpointException(source + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "LoRA(r=%d, alpha=%s, dropout=%s, %s%s)", rank, alpha, dropout,
                targetModules, rsLora ? ", rsLoRA" : "");
    }
}
