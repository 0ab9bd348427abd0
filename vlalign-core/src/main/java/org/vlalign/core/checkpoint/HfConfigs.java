package org.vlalign.core.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.Arrays;
import java.util.function.Predicate;
import org.vlalign.CheckpointException;
import org.vlalign.UnsupportedModelException;

/**
 * Reads values from Hugging Face {@code config.json} objects, applying the defaults of transformers
 * 4.45 (which omits keys equal to a config class's default when saving).
 *
 * <p>A present value of the wrong JSON type is a {@link CheckpointException} naming the key; an
 * option vlalign does not implement is an {@link UnsupportedModelException} naming the key and the
 * supported values. A JSON {@code null} counts as absent.
 *
 * <p>Stateless and thread-safe.
 *
 * <pre>{@code
 * JsonObject text = HfConfigs.subConfig(ckpt.config(), "text_config");
 * double eps = HfConfigs.getDouble(text, "rms_norm_eps", 1e-6);
 * }</pre>
 *
 * @since 0.1.0
 */
public final class HfConfigs {

    /** The most layers any supported family is built with (a 70B Llama has 80). */
    public static final int MAX_LAYERS = 1024;
    /** The widest hidden or intermediate size accepted. */
    public static final int MAX_WIDTH = 1 << 20;
    /** The most attention heads accepted. */
    public static final int MAX_HEADS = 4096;
    /** The largest vocabulary accepted. */
    public static final int MAX_VOCAB = 1 << 24;
    /** The longest context or position table accepted. */
    public static final int MAX_POSITIONS = 1 << 24;
    /** The largest square image side a vision config or preprocessor may ask for. */
    public static final int MAX_IMAGE_SIDE = 8192;

    private HfConfigs() {}

    /**
     * Checks the sizes every transformer config has: layers, widths and heads.
     *
     * @param prefix the sub-config's key with a dot ({@code vision_config.}), or empty
     * @param layers {@code num_hidden_layers}
     * @param hidden {@code hidden_size}
     * @param intermediate {@code intermediate_size}
     * @param heads {@code num_attention_heads}
     * @throws CheckpointException naming the first field out of range
     */
    public static void checkTransformer(String prefix, int layers, int hidden, int intermediate, int heads) {
        checkRange(prefix + "num_hidden_layers", layers, 1, MAX_LAYERS);
        checkRange(prefix + "hidden_size", hidden, 1, MAX_WIDTH);
        checkRange(prefix + "intermediate_size", intermediate, 1, MAX_WIDTH);
        checkRange(prefix + "num_attention_heads", heads, 1, MAX_HEADS);
    }

    /**
     * Checks that a transformer's hidden size splits evenly into its attention heads, for the families
     * whose head width is {@code hidden_size / num_attention_heads} (no {@code head_dim} key).
     *
     * @param prefix the sub-config's key with a dot ({@code vision_config.}), or empty
     * @param hidden {@code hidden_size}, already checked positive
     * @param heads {@code num_attention_heads}, already checked positive
     * @throws CheckpointException naming both fields and their values
     * @since 0.3.0
     */
    public static void checkHeadSplit(String prefix, int hidden, int heads) {
        checkMultiple(prefix + "hidden_size", hidden, prefix + "num_attention_heads", heads);
    }

    /**
     * Checks the input geometry of a vision tower: sizes in range, and the image a whole number of patches.
     *
     * @param prefix the sub-config's key with a dot ({@code vision_config.})
     * @param imageSize {@code image_size}
     * @param patchSize {@code patch_size}
     * @param channels {@code num_channels}
     * @throws CheckpointException naming the first field out of range
     */
    public static void checkImage(String prefix, int imageSize, int patchSize, int channels) {
        checkRange(prefix + "image_size", imageSize, 1, MAX_IMAGE_SIDE);
        checkRange(prefix + "patch_size", patchSize, 1, imageSize);
        checkRange(prefix + "num_channels", channels, 1, 4);
        checkMultiple(prefix + "image_size", imageSize, prefix + "patch_size", patchSize);
    }

    /**
     * Checks that a size splits evenly, e.g. a width into attention heads or an image into patches.
     *
     * @param field the key's path of the size, e.g. {@code vision_config.hidden_size}
     * @param value the size, already checked positive
     * @param divisorField the key's path of the part, e.g. {@code vision_config.num_attention_heads}
     * @param divisor the part, already checked positive
     * @throws CheckpointException naming both fields and their values
     */
    public static void checkMultiple(String field, int value, String divisorField, int divisor) {
        if (value % divisor != 0) {
            throw new CheckpointException("config field " + field + " is " + value + " but must be a multiple of "
                    + divisorField + " (" + divisor + "); the config.json is corrupt or was edited: fix or"
                    + " re-download it");
        }
    }

    /**
     * Checks that a config value lies in a range, before anything is sized from it.
     *
     * @param field the key's path in {@code config.json}, e.g. {@code vision_config.num_hidden_layers}
     * @param value the value read (or defaulted)
     * @param min the smallest valid value
     * @param max the largest value accepted
     * @return the value
     * @throws CheckpointException naming the field, its value and the range
     */
    public static int checkRange(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new CheckpointException("config field " + field + " is " + value + " but must be in [" + min
                    + ", " + max + "]; the config.json is corrupt or was edited: fix or re-download it");
        }
        return (int) value;
    }

    /**
     * Whether a key is absent or JSON null.
     *
     * @param c the config
     * @param key the key
     * @return true if absent
     */
    public static boolean isAbsent(JsonObject c, String key) {
        JsonElement e = c.get(key);
        return e == null || e.isJsonNull();
    }

    /** A present key's value, checked to be a JSON primitive of the expected kind. */
    private static JsonPrimitive primitive(JsonObject c, String key, String expected, Predicate<JsonPrimitive> kind) {
        JsonElement e = c.get(key);
        if (!e.isJsonPrimitive() || !kind.test(e.getAsJsonPrimitive())) {
            throw new CheckpointException("config key '" + key + "' must be " + expected + " but is " + e);
        }
        return e.getAsJsonPrimitive();
    }

    /**
     * A required integer.
     *
     * @param c the config
     * @param key the key
     * @return the value
     * @throws CheckpointException if absent or not an integer
     */
    public static int requireInt(JsonObject c, String key) {
        if (isAbsent(c, key)) {
            throw new CheckpointException("config.json has no '" + key + "', which this model needs; the config is "
                    + "incomplete or belongs to another model type");
        }
        return getInt(c, key, 0);
    }

    /**
     * An integer with a default.
     *
     * @param c the config
     * @param key the key
     * @param def the value when absent
     * @return the value
     * @throws CheckpointException if present but not an integer
     */
    public static int getInt(JsonObject c, String key, int def) {
        if (isAbsent(c, key)) {
            return def;
        }
        JsonPrimitive p = primitive(c, key, "an integer", JsonPrimitive::isNumber);
        double d = p.getAsDouble();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new CheckpointException("config key '" + key + "' must be an integer but is " + p);
        }
        return (int) d;
    }

    /**
     * A number with a default.
     *
     * @param c the config
     * @param key the key
     * @param def the value when absent
     * @return the value
     * @throws CheckpointException if present but not a number
     */
    public static double getDouble(JsonObject c, String key, double def) {
        if (isAbsent(c, key)) {
            return def;
        }
        return primitive(c, key, "a number", JsonPrimitive::isNumber).getAsDouble();
    }

    /**
     * A string with a default.
     *
     * @param c the config
     * @param key the key
     * @param def the value when absent
     * @return the value
     * @throws CheckpointException if present but not a string
     */
    public static String getString(JsonObject c, String key, String def) {
        if (isAbsent(c, key)) {
            return def;
        }
        return primitive(c, key, "a string", JsonPrimitive::isString).getAsString();
    }

    /**
     * A boolean with a default.
     *
     * @param c the config
     * @param key the key
     * @param def the value when absent
     * @return the value
     * @throws CheckpointException if present but not a boolean
     */
    public static boolean getBoolean(JsonObject c, String key, boolean def) {
        if (isAbsent(c, key)) {
            return def;
        }
        return primitive(c, key, "true or false", JsonPrimitive::isBoolean).getAsBoolean();
    }

    /**
     * An integer or a list of integers (e.g. {@code eos_token_id}), with a default.
     *
     * @param c the config
     * @param key the key
     * @param def the value when absent (copied)
     * @return the values
     * @throws CheckpointException if present but neither an integer nor a list of integers
     */
    public static int[] getIntOrList(JsonObject c, String key, int... def) {
        if (isAbsent(c, key)) {
            return def.clone();
        }
        JsonElement e = c.get(key);
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) {
                JsonObject tmp = new JsonObject();
                tmp.add(key + "[" + i + "]", a.get(i));
                out[i] = requireInt(tmp, key + "[" + i + "]");
            }
            return out;
        }
        return new int[] {getInt(c, key, 0)};
    }

    /**
     * A nested config object such as {@code text_config} or {@code rope_scaling}.
     *
     * @param c the config
     * @param key the key
     * @return a copy of the nested object, or an empty object when absent or null
     * @throws CheckpointException if present but not an object
     */
    public static JsonObject subConfig(JsonObject c, String key) {
        if (isAbsent(c, key)) {
            return new JsonObject();
        }
        JsonElement e = c.get(key);
        if (!e.isJsonObject()) {
            throw new CheckpointException("config key '" + key + "' must be an object but is " + e);
        }
        return e.getAsJsonObject().deepCopy();
    }

    /**
     * Reads a string option and fails when it is not one of the supported values.
     *
     * @param c the config
     * @param key the key, named in the error (e.g. {@code hidden_act})
     * @param def the value when absent
     * @param supported the supported values
     * @return the value
     * @throws UnsupportedModelException if the value is not supported
     */
    public static String requireOneOf(JsonObject c, String key, String def, String... supported) {
        String v = getString(c, key, def);
        if (!Arrays.asList(supported).contains(v)) {
            throw unsupported(key, v, supported);
        }
        return v;
    }

    /**
     * The exception for an unsupported option.
     *
     * @param key the config key, e.g. {@code rope_scaling.type}
     * @param value the value found
     * @param supported the supported values
     * @return the exception to throw
     */
    public static UnsupportedModelException unsupported(String key, Object value, String... supported) {
        return new UnsupportedModelException("config key '" + key + "' = " + value + " is not supported by vlalign; "
                + "supported: " + Arrays.toString(supported) + ". Use a checkpoint with a supported setting or open an "
                + "issue with the model name");
    }
}
