package org.vlalign.model.recipe;

import com.google.common.io.MoreFiles;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.prompt.ImagePrefixPromptWrapper;
import org.vlalign.llm.LoraAdapter;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.model.world.WorldExport;
import org.vlalign.torch.TorchModels;
import org.vlalign.core.checkpoint.SafetensorsDtype;
import org.vlalign.core.checkpoint.SafetensorsReader;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * Turns the output of {@link DefaultModelRecipe} into the resource folder of the {@code vlalign-default-model}
 * artifact: the checkpoints (with the recipe's tuned Q-Former, if it trained one, answering and the stage-1
 * extractor searching) and the adaptor with their float32 weights stored as float16 (half the bytes;
 * the loaders widen them to float32 as they do for any fp16 checkpoint), the LoRA adapter if the recipe trained
 * one (merged into the language model at load), a composition {@code config.json}
 * ({@link TorchModels#COMPOSITION_TYPE}), bundled sample images from held-out scenes with their ground truth,
 * the recipe's report as {@code README.md}, and {@code MANIFEST.tsv} (SHA-256, size and path of every file)
 * so the extracted copy can be verified.
 *
 * <p>Flags: {@code --from DIR} (the recipe's {@code --out}), {@code --to DIR} (the resource folder, replaced),
 * {@code --world-seed N} (1), {@code --images N} (48 held-out test scenes starting at index
 * {@value #FIRST_SAMPLE_SCENE}, beyond the recipe's evaluation scenes).
 *
 * <p>Not thread-safe; one packaging per target folder.
 *
 * @since 0.1.0
 */
public final class DefaultModelPackager {
    /** The first held-out test scene bundled as a sample image (the recipe evaluates on the scenes before). */
    public static final long FIRST_SAMPLE_SCENE = 100_000;
    /** The manifest file name. */
    public static final String MANIFEST = "MANIFEST.tsv";
    /** The bundled images' folder (a {@link WorldExport} folder: {@code images/} plus ground truth). */
    public static final String SAMPLES = "samples";
    /** The recipe's LoRA adapter folder ({@code --lora-rank}), shipped as it is and named in the config. */
    public static final String LORA = "lora";
    /** float16's largest finite value; a tensor with larger magnitudes stays float32. */
    private static final float F16_MAX = 65504f;

    private DefaultModelPackager() {}

    /**
     * Packages from the command line.
     *
     * @param args the flags
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        Map<String, String> f = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            f.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        if (!f.containsKey("from") || !f.containsKey("to")) {
            throw new InvalidArgumentException("usage: DefaultModelPackager --from RECIPE_OUT --to RESOURCE_DIR"
                    + " [--world-seed N] [--images N]");
        }
        pack(Path.of(f.get("from")), Path.of(f.get("to")), Long.parseLong(f.getOrDefault("world-seed", "1")),
                Integer.parseInt(f.getOrDefault("images", "48")));
    }

    /**
     * Packages a recipe output folder.
     *
     * @param from the recipe's output ({@code blip2/}, {@code llama/}, {@code adaptor.safetensors},
     *     {@code RECIPE.md}, {@code metrics.json}, and {@code lora/} if it trained one)
     * @param to the resource folder to (re)create
     * @param worldSeed the world the model was trained on
     * @param images how many held-out scenes to bundle as sample images
     * @return {@code to}
     * @throws IOException if a file cannot be read or written
     */
    public static Path pack(Path from, Path to, long worldSeed, int images) throws IOException {
        for (String required : List.of("blip2/config.json", "llama/config.json", "adaptor.safetensors",
                "RECIPE.md", "metrics.json")) {
            if (!Files.exists(from.resolve(required))) {
                throw new InvalidArgumentException(from.resolve(required) + " is missing; package the output"
                        + " folder of a complete DefaultModelRecipe run");
            }
        }
        deleteRecursively(to);
        Files.createDirectories(to);
        boolean tuned = Files.isRegularFile(from.resolve(DefaultModelRecipe.ANSWER_EXTRACTOR).resolve("config.json"));
        List<String> parts = tuned ? List.of("blip2", DefaultModelRecipe.ANSWER_EXTRACTOR, "llama")
                : List.of("blip2", "llama");
        for (String part : parts) {
            Path dir = Files.createDirectories(to.resolve(part));
            try (Stream<Path> files = Files.list(from.resolve(part))) {
                for (Path file : files.sorted().toList()) {
                    String name = file.getFileName().toString();
                    if (name.endsWith(".safetensors")) {
                        toFloat16(file, dir.resolve(name));
                    } else if (Files.isRegularFile(file)) {
                        Files.copy(file, dir.resolve(name));
                    }
                }
            }
        }
        toFloat16(from.resolve("adaptor.safetensors"), to.resolve("adaptor.safetensors"));
        boolean lora = Files.isRegularFile(from.resolve(LORA).resolve(LoraAdapter.CONFIG_FILE));
        if (lora) { // float32 as trained: the adapter is small and merges into the weights at load
            Path dir = Files.createDirectories(to.resolve(LORA));
            for (String name : List.of(LoraAdapter.CONFIG_FILE, LoraAdapter.WEIGHTS_FILE)) {
                Files.copy(from.resolve(LORA).resolve(name), dir.resolve(name));
            }
        }
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", TorchModels.COMPOSITION_TYPE);
        // a Q-Former tuned with the language model answers; the stage-1 one, still matched to its text side, searches
        config.put("feature_extractor", tuned ? DefaultModelRecipe.ANSWER_EXTRACTOR : "blip2");
        if (tuned) {
            config.put("search_extractor", "blip2");
        }
        config.put("adaptor", "adaptor.safetensors");
        config.put("language_model", "llama");
        config.put("prompt_template", ImagePrefixPromptWrapper.NAME);
        if (lora) {
            config.put("lora", LORA);
        }
        config.put("world_seed", worldSeed);
        Files.writeString(to.resolve("config.json"),
                new GsonBuilder().setPrettyPrinting().create().toJson(config) + "\n", StandardCharsets.UTF_8);
        Files.copy(from.resolve("metrics.json"), to.resolve("metrics.json"));
        Files.writeString(to.resolve("README.md"), Files.readString(from.resolve("RECIPE.md"))
                + "\n## Packaging\n\nPackaged by `org.vlalign.model.recipe.DefaultModelPackager` (float32 weights"
                + " stored as float16). `" + SAMPLES + "/` holds " + images + " held-out test scenes of world seed "
                + worldSeed + " from index " + FIRST_SAMPLE_SCENE + " with their captions and questions.\n",
                StandardCharsets.UTF_8);
        WorldExport.write(to.resolve(SAMPLES), World.builder().seed(worldSeed).build(), Split.TEST,
                FIRST_SAMPLE_SCENE, images);
        writeManifest(to);
        return to;
    }

    /** Rewrites a safetensors file with every float32 tensor as float16 (others unchanged). */
    static void toFloat16(Path source, Path target) {
        SafetensorsWriter w = SafetensorsWriter.create();
        try (SafetensorsReader r = SafetensorsReader.open(source)) {
            r.metadata().forEach(w::metadata);
            for (TensorInfo t : r.tensors().values()) {
                if (t.type() == SafetensorsDtype.F32) {
                    float[] v = r.readFloats(t.name());
                    float max = 0;
                    for (float x : v) {
                        max = Math.max(max, Math.abs(x));
                    }
                    if (max < F16_MAX) {
                        w.addF16(t.name(), v, t.shape());
                    } else {
                        w.addF32(t.name(), v, t.shape());
                    }
                } else {
                    copyRaw(r, t, w);
                }
            }
        }
        w.write(target);
    }

    /** Writes {@code sha256<TAB>bytes<TAB>relative/path} for every file, sorted by path. */
    static void writeManifest(Path root) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (!rel.equals(MANIFEST)) {
                    lines.add(sha256(p) + "\t" + Files.size(p) + "\t" + rel);
                }
            }
        }
        Files.write(root.resolve(MANIFEST), lines, StandardCharsets.UTF_8);
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            MoreFiles.deleteRecursively(dir);
        }
    }

    /** Copies a non-float32 tensor's bytes as they are. */
    private static void copyRaw(SafetensorsReader r, TensorInfo t, SafetensorsWriter w) {
        ByteBuffer b = r.map(t);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        w.addRaw(t.name(), t.type(), bytes, t.shape());
    }
}
