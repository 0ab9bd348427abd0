package org.vlalign.core.checkpoint;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.CheckpointException;

/**
 * A Hugging Face checkpoint folder: {@code config.json}, {@code generation_config.json} and the
 * weights in {@code model.safetensors} or in shards listed by {@code model.safetensors.index.json}.
 *
 * <p>This class is engine-free: it validates and indexes the files and reads small tensors into Java
 * arrays. Engines read weights through {@link #reader(TensorInfo)} in the format they compute with (the
 * torch engine as float32 arrays, the JVM language-model engine as fp32, bf16, 8-bit or 4-bit blocks),
 * reporting with {@link #beginRead}/{@link #endRead}. Every failure is a {@link CheckpointException} that
 * names the file and tensor.
 *
 * <p>Thread-safe: reads are positional and the metadata is immutable; {@link #close} must not race
 * loads.
 *
 * <pre>{@code
 * try (Checkpoint ckpt = Checkpoint.open(Path.of("llama-dir"))) {
 *     int hidden = HfConfigs.requireInt(ckpt.config(), "hidden_size");
 *     float[] norm = ckpt.loadFloats("model.norm.weight");
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class Checkpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Checkpoint.class);

    /** The single-file weights name. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The shard index name. */
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** The model config name. */
    public static final String CONFIG_FILE = "config.json";
    /** The generation defaults name. */
    public static final String GENERATION_CONFIG_FILE = "generation_config.json";

    private final Path directory;
    private final JsonObject config;
    private final JsonObject generationConfig; // null if absent
    private final List<SafetensorsReader> readers;
    private final Map<String, TensorInfo> tensors; // sorted by name
    private final Map<Path, SafetensorsReader> readerByFile;
    private final Set<Path> announcedShards = Collections.synchronizedSet(new LinkedHashSet<>());
    private final AtomicLong bytesLoaded = new AtomicLong();
    private final long bytesTotal;
    private volatile LoadProgress progress = LoadProgress.NONE;

    private Checkpoint(Path directory, JsonObject config, JsonObject generationConfig, List<SafetensorsReader> readers,
            Map<String, TensorInfo> tensors) {
        this.directory = directory;
        this.config = config;
        this.generationConfig = generationConfig;
        this.readers = List.copyOf(readers);
        this.tensors = Collections.unmodifiableMap(new TreeMap<>(tensors));
        Map<Path, SafetensorsReader> byFile = new LinkedHashMap<>();
        for (SafetensorsReader r : readers) {
            byFile.put(r.file(), r);
        }
        this.readerByFile = byFile;
        long total = 0;
        for (TensorInfo t : tensors.values()) {
            total += t.byteLength();
        }
        this.bytesTotal = total;
    }

    /**
     * Opens a checkpoint folder.
     *
     * @param dir a folder with {@code config.json} (optional: an empty config if absent) and {@code
     *     model.safetensors} or {@code model.safetensors.index.json} with its shards
     * @return the checkpoint; close it
     * @throws CheckpointException if a file is missing, malformed, or a shard header is invalid
     */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            if (Files.isRegularFile(dir) && dir.toString().endsWith(".safetensors")) {
                return openFile(dir);
            }
            throw new CheckpointException("checkpoint folder " + dir + " does not exist or is not a folder; pass the "
                    + "folder that holds config.json and model.safetensors");
        }
        JsonObject config = Files.exists(dir.resolve(CONFIG_FILE)) ? readJson(dir.resolve(CONFIG_FILE)) : new JsonObject();
        JsonObject gen = Files.exists(dir.resolve(GENERATION_CONFIG_FILE))
                ? readJson(dir.resolve(GENERATION_CONFIG_FILE)) : null;
        List<SafetensorsReader> readers = new ArrayList<>();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        try {
            Path single = dir.resolve(SINGLE_FILE);
            Path index = dir.resolve(INDEX_FILE);
            if (Files.isRegularFile(single)) {
                SafetensorsReader r = SafetensorsReader.open(single);
                readers.add(r);
                tensors.putAll(r.tensors());
            } else if (Files.isRegularFile(index)) {
                openShards(index, readers, tensors);
            } else {
                throw new CheckpointException("checkpoint folder " + dir + " has neither " + SINGLE_FILE + " nor "
                        + INDEX_FILE + "; it holds " + listing(dir) + ". Download the safetensors weights (PyTorch "
                        + ".bin checkpoints are not supported: convert them with save_pretrained(safe_serialization=True))");
            }
        } catch (RuntimeException e) {
            readers.forEach(SafetensorsReader::close);
            throw e;
        }
        LOG.debug("opened checkpoint {}: {} tensors in {} file(s), {} MB", dir, tensors.size(), readers.size(),
                totalBytes(tensors) / (1 << 20));
        return new Checkpoint(dir, config, gen, readers, tensors);
    }

    /**
     * Opens a single safetensors file as a checkpoint without config.
     *
     * @param safetensorsFile the file
     * @return the checkpoint; {@link #config()} is empty; close it
     * @throws CheckpointException if the file is missing or malformed
     */
    public static Checkpoint openFile(Path safetensorsFile) {
        SafetensorsReader r = SafetensorsReader.open(safetensorsFile);
        Path parent = safetensorsFile.toAbsolutePath().getParent();
        return new Checkpoint(parent, new JsonObject(), null, List.of(r), r.tensors());
    }

    private static void openShards(Path index, List<SafetensorsReader> readers, Map<String, TensorInfo> tensors) {
        JsonObject idx = readJson(index);
        JsonElement wm = idx.get("weight_map");
        if (wm == null || !wm.isJsonObject()) {
            throw new CheckpointException(index + " has no 'weight_map' object; the index is corrupt: re-download it");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : wm.getAsJsonObject().entrySet()) {
            if (!e.getValue().isJsonPrimitive()) {
                throw new CheckpointException(index + ": weight_map['" + e.getKey() + "'] must be a file name but is "
                        + e.getValue());
            }
            weightMap.put(e.getKey(), e.getValue().getAsString());
        }
        Path dir = index.getParent();
        Map<String, SafetensorsReader> byName = new LinkedHashMap<>();
        for (String shard : new TreeSet<>(weightMap.values())) {
            Path p = dir.resolve(shard).normalize();
            if (!p.startsWith(dir.normalize()) || shard.contains("/") || shard.contains("\\")) {
                throw new CheckpointException(index + " names shard '" + shard + "' outside the checkpoint folder; "
                        + "the index is corrupt or malicious");
            }
            if (!Files.isRegularFile(p)) {
                throw new CheckpointException(index + " lists shard '" + shard + "' but " + p
                        + " does not exist; download every shard of the checkpoint");
            }
            SafetensorsReader r = SafetensorsReader.open(p);
            readers.add(r);
            byName.put(shard, r);
        }
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            SafetensorsReader r = byName.get(e.getValue());
            TensorInfo t = r.tensors().get(e.getKey());
            if (t == null) {
                throw new CheckpointException(index + " maps tensor '" + e.getKey() + "' to " + e.getValue()
                        + " but that shard does not hold it; the download is incomplete or mixed: re-download it");
            }
            tensors.put(e.getKey(), t);
        }
    }

    private static JsonObject readJson(Path file) {
        String text = BoundedFiles.readString(file, BoundedFiles.MAX_CONFIG_BYTES);
        try {
            JsonElement el = JsonParser.parseString(text);
            if (!el.isJsonObject()) {
                throw new CheckpointException(file + " must hold a JSON object");
            }
            return el.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new CheckpointException(file + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static String listing(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().limit(20).collect(Collectors.toList());
            return names.isEmpty() ? "no files" : names.toString();
        } catch (IOException e) {
            return "(unlistable: " + e.getMessage() + ")";
        }
    }

    private static long totalBytes(Map<String, TensorInfo> tensors) {
        long n = 0;
        for (TensorInfo t : tensors.values()) {
            n += t.byteLength();
        }
        return n;
    }

    /**
     * Names in {@code names} that resemble {@code wanted}, for "did you mean" messages.
     *
     * @param wanted the missing name
     * @param names the available names
     * @return a short description
     */
    static String similarNames(String wanted, Set<String> names) {
        if (names.isEmpty()) {
            return "no tensors";
        }
        String[] parts = wanted.split("\\.");
        String last = parts[parts.length - 1];
        List<String> sims = names.stream()
                .sorted(java.util.Comparator.comparingInt((String n) -> -commonAffix(n, wanted)))
                .filter(n -> n.endsWith(last) || commonAffix(n, wanted) > wanted.length() / 2)
                .limit(5)
                .collect(Collectors.toList());
        if (sims.isEmpty()) {
            sims = names.stream().sorted().limit(5).collect(Collectors.toList());
            return names.size() + " tensors, e.g. " + sims;
        }
        return names.size() + " tensors; similar: " + sims;
    }

    private static int commonAffix(String a, String b) {
        int p = 0;
        while (p < a.length() && p < b.length() && a.charAt(p) == b.charAt(p)) {
            p++;
        }
        int s = 0;
        while (s < a.length() - p && s < b.length() - p
                && a.charAt(a.length() - 1 - s) == b.charAt(b.length() - 1 - s)) {
            s++;
        }
        return p + s;
    }

    /**
     * Sets a progress callback for subsequent loads.
     *
     * @param progress the callback
     * @return this checkpoint
     */
    public Checkpoint onProgress(LoadProgress progress) {
        this.progress = progress == null ? LoadProgress.NONE : progress;
        return this;
    }

    /**
     * The checkpoint folder (the parent folder for {@link #openFile}).
     *
     * @return the folder
     */
    public Path directory() {
        return directory;
    }

    /**
     * The parsed {@code config.json}.
     *
     * @return a deep copy; empty for {@link #openFile} or when the folder has no config
     */
    public JsonObject config() {
        return config.deepCopy();
    }

    /**
     * The parsed {@code generation_config.json}, if present.
     *
     * @return a deep copy, or empty
     */
    public Optional<JsonObject> generationConfig() {
        return Optional.ofNullable(generationConfig).map(JsonObject::deepCopy);
    }

    /**
     * All tensor names, sorted.
     *
     * @return the names, unmodifiable
     */
    public Set<String> tensorNames() {
        return tensors.keySet();
    }

    /**
     * Whether a tensor exists.
     *
     * @param name the name
     * @return true if present
     */
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    /**
     * A tensor's dtype, shape and location.
     *
     * @param name the name
     * @return the info
     * @throws CheckpointException if absent, listing similar names
     */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException("tensor '" + name + "' is missing from checkpoint " + directory + " ("
                    + similarNames(name, tensors.keySet()) + "); the checkpoint does not match the model type in "
                    + "config.json, or a weight-key prefix is wrong");
        }
        return t;
    }

    /**
     * Checks a tensor's shape against what the config implies.
     *
     * @param t the tensor
     * @param expectedShape the expected shape; null or empty skips the check
     * @throws CheckpointException naming the tensor, its file and both shapes when they differ
     */
    public static void checkShape(TensorInfo t, long[] expectedShape) {
        if (expectedShape != null && expectedShape.length > 0 && !Arrays.equals(t.shape(), expectedShape)) {
            throw new CheckpointException("tensor '" + t.name() + "' in " + t.file() + " has shape "
                    + Arrays.toString(t.shape()) + " but config.json implies " + Arrays.toString(expectedShape)
                    + "; the weights do not belong to this config (check hidden_size, num_attention_heads, "
                    + "num_key_value_heads, intermediate_size, vocab_size)");
        }
    }

    /**
     * The reader of the file that holds a tensor, for engines that read tensors their own way.
     *
     * @param t a tensor of this checkpoint
     * @return its file's reader, owned by this checkpoint
     */
    public SafetensorsReader reader(TensorInfo t) {
        SafetensorsReader r = readerByFile.get(t.file());
        if (r == null) {
            throw new CheckpointException("tensor '" + t.name() + "' does not belong to checkpoint " + directory);
        }
        return r;
    }

    /**
     * Reports that an engine is about to read a tensor: logs the first read of each shard. Call
     * {@link #endRead} when the tensor has been read.
     *
     * @param t the tensor being read
     */
    public void beginRead(TensorInfo t) {
        if (readers.size() > 1 && announcedShards.add(t.file())) {
            LOG.info("reading shard {} ({} of {})", t.file().getFileName(), announcedShards.size(), readers.size());
        }
    }

    /**
     * Reports that an engine has read a tensor: tells the {@link #onProgress progress callback} the bytes
     * read so far.
     *
     * @param t the tensor read
     */
    public void endRead(TensorInfo t) {
        progress.onTensor(t.name(), bytesLoaded.addAndGet(t.byteLength()), bytesTotal);
    }

    /**
     * Reads a float tensor into a Java array (small tensors, tests and parity).
     *
     * @param name the tensor
     * @return float32 values, row-major
     */
    public float[] loadFloats(String name) {
        TensorInfo t = info(name);
        return readerByFile.get(t.file()).readFloats(name);
    }

    /**
     * Reads an integer tensor widened to long (small tensors, tests and parity).
     *
     * @param name the tensor
     * @return the values, row-major
     */
    public long[] loadLongs(String name) {
        TensorInfo t = info(name);
        return readerByFile.get(t.file()).readLongs(name);
    }

    /**
     * A stable digest of the config and every tensor header (name, dtype, shape, byte length), not of
     * the data: identifies which model an index or cache was built with, cheaply.
     *
     * @return the first 16 hex digits of a SHA-256
     */
    public String fingerprint() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
        md.update(canonical(config).getBytes(StandardCharsets.UTF_8));
        for (TensorInfo t : tensors.values()) {
            String line = "\n" + t.name() + "|" + t.dtype() + "|" + Arrays.toString(t.shape()) + "|" + t.byteLength();
            md.update(line.getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(md.digest()).substring(0, 16).toLowerCase(Locale.ROOT);
    }

    /** JSON with object keys sorted, so the digest does not depend on key order. */
    private static String canonical(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        if (e.isJsonObject()) {
            StringBuilder sb = new StringBuilder("{");
            new TreeMap<>(e.getAsJsonObject().asMap()).forEach((k, v) ->
                    sb.append('"').append(k).append("\":").append(canonical(v)).append(','));
            return sb.append('}').toString();
        }
        if (e.isJsonArray()) {
            StringBuilder sb = new StringBuilder("[");
            e.getAsJsonArray().forEach(v -> sb.append(canonical(v)).append(','));
            return sb.append(']').toString();
        }
        return e.toString();
    }

    /** Closes every shard. Idempotent. */
    @Override
    public void close() {
        readers.forEach(SafetensorsReader::close);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + directory + ", " + tensors.size() + " tensors]";
    }
}
