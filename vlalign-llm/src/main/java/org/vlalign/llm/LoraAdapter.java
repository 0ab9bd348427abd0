package org.vlalign.llm;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.vlalign.CheckpointException;
import org.vlalign.core.checkpoint.BoundedFiles;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * A LoRA adapter in the PEFT layout: {@code adapter_config.json} ({@code peft_type} LORA, {@code r},
 * {@code lora_alpha}, {@code target_modules}, {@code use_rslora}) and {@code adapter_model.safetensors}
 * with one {@code lora_A} {@code (r, in)} and one {@code lora_B} {@code (out, r)} per adapted linear layer,
 * under PEFT's key names: {@code base_model.model.<module path>.lora_A.weight}.
 *
 * <p>An adapted layer computes {@code W x + s · B A x} with {@code s = alpha / r} ({@code alpha / √r} with
 * rsLoRA). {@link #delta} gives the update of a weight's rows so a loader can merge it before encoding the
 * weights in their format: merged inference costs nothing extra, whatever the weight format.
 *
 * <p>Immutable and thread-safe. The matrices are read into memory at {@link #load} (adapters are small).
 *
 * @since 0.2.0
 */
public final class LoraAdapter {
    /** The config file's name. */
    public static final String CONFIG_FILE = "adapter_config.json";
    /** The weights file's name. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    /** PEFT's prefix in front of the model's module paths. */
    public static final String KEY_PREFIX = "base_model.model.";
    /** The suffix of a module's {@code A (r, in)} matrix, after its path. */
    public static final String A_SUFFIX = ".lora_A.weight";
    /** The suffix of a module's {@code B (out, r)} matrix, after its path. */
    public static final String B_SUFFIX = ".lora_B.weight";
    /** The module names LoRA may target in a Llama. */
    public static final Set<String> LLAMA_MODULES =
            Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    private final Path dir;
    private final LoraConfig config;
    private final int rank;
    private final Map<String, float[][]> pairs; // module path -> {A (r, in), B (out, r)}
    private final Map<String, int[]> shapes; // module path -> {out, in}

    private LoraAdapter(Path dir, LoraConfig config, Map<String, float[][]> pairs, Map<String, int[]> shapes) {
        this.dir = dir;
        this.config = config;
        this.rank = config.rank();
        this.pairs = Collections.unmodifiableMap(pairs);
        this.shapes = Collections.unmodifiableMap(shapes);
    }

    /**
     * Reads an adapter folder.
     *
     * @param dir the folder with {@value #CONFIG_FILE} and {@value #WEIGHTS_FILE}
     * @return the adapter
     * @throws CheckpointException if a file is missing or malformed, or a pair's shapes disagree with the rank
     * @throws UnsupportedModelException if the adapter is not LoRA or uses options vlalign does not implement
     */
    public static LoraAdapter load(Path dir) {
        Path configFile = dir.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new CheckpointException("LoRA adapter folder " + dir + " has no " + CONFIG_FILE
                    + "; pass the folder PEFT's save_pretrained wrote (adapter_config.json, adapter_model.safetensors)");
        }
        JsonObject c;
        try {
            if (Files.size(configFile) > 1 << 20) {
                throw new CheckpointException(configFile + " is larger than 1 MB; it is not an adapter config");
            }
            JsonElement e = JsonParser.parseString(BoundedFiles.readString(configFile, BoundedFiles.MAX_CONFIG_BYTES));
            if (!e.isJsonObject()) {
                throw new CheckpointException(configFile + " must hold a JSON object");
            }
            c = e.getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException("cannot read " + configFile + ": " + e.getMessage(), e);
        }
        LoraConfig config = LoraConfig.fromJson(c, configFile);
        int rank = config.rank();
        Map<String, float[][]> pairs = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        try (Checkpoint ckpt = Checkpoint.openFile(dir.resolve(WEIGHTS_FILE))) {
            for (String name : ckpt.tensorNames()) {
                if (!name.endsWith(A_SUFFIX)) {
                    if (!name.endsWith(B_SUFFIX)) {
                        throw new UnsupportedModelException("tensor '" + name + "' in " + dir.resolve(WEIGHTS_FILE)
                                + " is neither lora_A nor lora_B; vlalign merges LoRA matrices only (no trained"
                                + " biases, embeddings or modules_to_save)");
                    }
                    continue;
                }
                String module = name.substring(0, name.length() - A_SUFFIX.length());
                String bName = module + B_SUFFIX;
                if (!ckpt.has(bName)) {
                    throw new CheckpointException(dir.resolve(WEIGHTS_FILE) + " has '" + name + "' but not '" + bName + "'");
                }
                TensorInfo a = ckpt.info(name);
                TensorInfo b = ckpt.info(bName);
                if (a.shape().length != 2 || b.shape().length != 2 || a.shape()[0] != rank || b.shape()[1] != rank) {
                    throw new CheckpointException("LoRA pair '" + module + "' in " + dir + " has shapes A"
                            + java.util.Arrays.toString(a.shape()) + ", B" + java.util.Arrays.toString(b.shape())
                            + " but r is " + rank + " (A must be (r, in), B (out, r))");
                }
                if (!module.startsWith(KEY_PREFIX)) {
                    throw new CheckpointException("LoRA key '" + name + "' lacks PEFT's prefix '" + KEY_PREFIX + "'");
                }
                String path = module.substring(KEY_PREFIX.length());
                pairs.put(path, new float[][] {ckpt.loadFloats(name), ckpt.loadFloats(bName)});
                shapes.put(path, new int[] {(int) b.shape()[0], (int) a.shape()[1]});
            }
        }
        if (pairs.isEmpty()) {
            throw new CheckpointException(dir.resolve(WEIGHTS_FILE) + " holds no lora_A/lora_B pair");
        }
        return new LoraAdapter(dir, config, pairs, shapes);
    }

    /**
     * Writes an adapter in the PEFT layout: {@value #CONFIG_FILE} from the config and {@value #WEIGHTS_FILE}
     * with every pair under PEFT's key names ({@code base_model.model.<module path>.lora_A.weight}).
     *
     * @param dir the folder, created if missing
     * @param config the adapter's settings
     * @param pairs module path (e.g. {@code model.layers.0.self_attn.q_proj}) to {A (r × in), B (out × r)}
     *     row-major
     * @param shapes module path to {out, in}
     * @throws InvalidArgumentException if there is no pair or a pair's sizes disagree with its shape and r
     */
    public static void write(Path dir, LoraConfig config, Map<String, float[][]> pairs, Map<String, int[]> shapes) {
        int rank = config.rank();
        if (pairs.isEmpty()) {
            throw new InvalidArgumentException("an adapter needs at least one lora_A/lora_B pair; got none");
        }
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        for (Map.Entry<String, float[][]> e : pairs.entrySet()) {
            int[] s = shapes.get(e.getKey());
            if (s == null || e.getValue()[0].length != rank * s[1] || e.getValue()[1].length != s[0] * rank) {
                throw new InvalidArgumentException("LoRA pair '" + e.getKey() + "' does not have A (" + rank + ", in)"
                        + " and B (out, " + rank + ") for shape " + java.util.Arrays.toString(s));
            }
            w.addF32(KEY_PREFIX + e.getKey() + A_SUFFIX, e.getValue()[0], rank, s[1]);
            w.addF32(KEY_PREFIX + e.getKey() + B_SUFFIX, e.getValue()[1], s[0], rank);
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(CONFIG_FILE), config.toJson().toString(), StandardCharsets.UTF_8);
            w.write(dir.resolve(WEIGHTS_FILE));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write the adapter to " + dir, e);
        }
    }

    /**
     * The adapter's settings as its config file gives them.
     *
     * @return the config
     */
    public LoraConfig config() {
        return config;
    }

    /**
     * One pair's matrices, as stored.
     *
     * @param module the module path, e.g. {@code model.layers.0.self_attn.q_proj}
     * @return {A (r × in), B (out × r)} row-major (the adapter's own arrays: do not modify), or empty
     */
    public Optional<float[][]> pair(String module) {
        return Optional.ofNullable(pairs.get(module));
    }

    /**
     * The folder it was read from.
     *
     * @return the folder
     */
    public Path directory() {
        return dir;
    }

    /**
     * The rank r.
     *
     * @return r
     */
    public int rank() {
        return rank;
    }

    /**
     * The scale applied to {@code B A}: {@code alpha / r}, or {@code alpha / √r} with rsLoRA.
     *
     * @return the scale
     */
    public double scale() {
        return config.scale();
    }

    /**
     * The target modules named in the config.
     *
     * @return module names
     */
    public List<String> targetModules() {
        return config.targetModules();
    }

    /**
     * The adapted module paths, e.g. {@code model.layers.0.self_attn.q_proj}.
     *
     * @return the paths
     */
    public Set<String> modules() {
        return pairs.keySet();
    }

    /**
     * Whether a weight has an update: its key minus {@code .weight} is an adapted module.
     *
     * @param weightKey e.g. {@code model.layers.0.self_attn.q_proj.weight}
     * @return whether {@link #delta} applies
     */
    public boolean adapts(String weightKey) {
        return weightKey.endsWith(".weight") && pairs.containsKey(module(weightKey));
    }

    private static String module(String weightKey) {
        return weightKey.substring(0, weightKey.length() - ".weight".length());
    }

    /**
     * Adds {@code scale · (B A)[r0 .. r0 + n)} to rows of a weight.
     *
     * @param weightKey the weight's key
     * @param rows {@code n} rows of the weight, {@code in} values each, from {@code off}; updated in place
     * @param off the offset
     * @param r0 the first row's index in the weight
     * @param n the number of rows
     * @param in the weight's columns
     * @throws CheckpointException if the adapter's shape for this weight differs
     */
    public void addDelta(String weightKey, float[] rows, int off, int r0, int n, int in) {
        String m = module(weightKey);
        float[][] ab = pairs.get(m);
        int[] s = shapes.get(m);
        if (s[1] != in || r0 + n > s[0]) {
            throw new CheckpointException("LoRA pair '" + m + "' in " + dir + " is for a (" + s[0] + ", " + s[1]
                    + ") weight but the model's is (" + (r0 + n) + "+, " + in + "); the adapter belongs to another model");
        }
        float[] a = ab[0]; // (r, in)
        float[] b = ab[1]; // (out, r)
        float scale = (float) scale();
        for (int i = 0; i < n; i++) {
            int o = off + i * in;
            for (int k = 0; k < rank; k++) {
                float coef = scale * b[(r0 + i) * rank + k];
                if (coef == 0) {
                    continue;
                }
                int ao = k * in;
                for (int j = 0; j < in; j++) {
                    rows[o + j] += coef * a[ao + j];
                }
            }
        }
    }

    /**
     * The full update {@code scale · B A} of a weight (for tests and small models).
     *
     * @param weightKey the weight's key
     * @return {@code (out, in)} row-major, or empty if the weight is not adapted
     */
    public Optional<float[]> delta(String weightKey) {
        if (!adapts(weightKey)) {
            return Optional.empty();
        }
        int[] s = shapes.get(module(weightKey));
        float[] d = new float[s[0] * s[1]];
        addDelta(weightKey, d, 0, 0, s[0], s[1]);
        return Optional.of(d);
    }

    /**
     * Checks that every adapted module exists among a model's weights, so an adapter for another model fails
     * before loading rather than being silently ignored.
     *
     * @param weightKeys the model's weight keys (prefix included)
     * @param prefix the prefix the adapter's module paths are relative to ({@code ""} or {@code language_model.})
     * @throws CheckpointException naming the first module that has no weight
     */
    public void checkCovers(Set<String> weightKeys, String prefix) {
        for (String m : pairs.keySet()) {
            String key = m.startsWith(prefix) ? m : prefix + m;
            if (!weightKeys.contains(key + ".weight")) {
                throw new CheckpointException("LoRA adapter " + dir + " adapts '" + m + "', which is not a weight of"
                        + " this model; the adapter belongs to another model");
            }
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "LoRA[r=%d, alpha=%s, %d modules, %s]", rank, config.alpha(), pairs.size(),
                dir);
    }
}
