package org.vlalign.torch.internal;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * A model's weights by their exact Hugging Face checkpoint key (with the key's prefix, e.g. {@code
 * language_model.model.layers.3.self_attn.q_proj.weight}): an ordered, read-only view of the live
 * arrays the model computes with.
 *
 * <p>The arrays are the model's own, not copies: enabling gradients on them and running the model's
 * forward pass under a gradient collector gives their gradients, and writing into them in place (as
 * an optimiser does) changes what the model computes. Only weights the model uses exactly as stored
 * appear here; a weight transformed while loading is left out, so it can never be trained under a key
 * whose stored tensor it no longer equals. A tied weight (Llama's {@code lm_head} sharing the
 * embedding table) appears once, under the key it was loaded from.
 *
 * <p>{@link #select} and {@link #exclude} take globs over keys: {@code *} matches within one
 * dot-separated segment, {@code **} across segments, {@code ?} one character; for example {@code
 * language_model.model.layers.*.self_attn.*_proj.weight}.
 *
 * <p>Immutable and thread-safe as a view; the arrays belong to the model that produced them and are
 * released when it closes.
 *
 * <pre>{@code
 * try (LlamaLanguageModel lm = LlamaLanguageModel.load(dir)) {
 *     NamedParameters attention = lm.parameters().select("model.layers.*.self_attn.**");
 *     lm.parameters().saveAsFolder(dir, Path.of("copy"));
 * }
 * }</pre>
 *
 * @since 0.2.0
 */
public final class NamedParameters {

    private static final NamedParameters EMPTY = new NamedParameters(Map.of());

    private final Map<String, NDArray> byKey; // key -> live array, in model order; unmodifiable

    private NamedParameters(Map<String, NDArray> byKey) {
        this.byKey = byKey;
    }

    /**
     * A view of arrays by key, in the map's iteration order.
     *
     * @param byKey key → array; neither may be null
     * @return the view
     */
    public static NamedParameters of(Map<String, NDArray> byKey) {
        Map<String, NDArray> copy = new LinkedHashMap<>();
        byKey.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new InvalidArgumentException("parameter keys and arrays must not be null but got " + k + " -> "
                        + v);
            }
            copy.put(k, v);
        });
        return new NamedParameters(Collections.unmodifiableMap(copy));
    }

    /**
     * The view with no parameters.
     *
     * @return the empty view
     */
    public static NamedParameters empty() {
        return EMPTY;
    }

    /**
     * The parameters of several parts, in order. A key that two parts hold as the same array (a
     * shared weight) appears once.
     *
     * @param parts the parts' views
     * @return the union
     * @throws InvalidArgumentException if two parts hold different arrays under one key
     */
    public static NamedParameters concat(NamedParameters... parts) {
        Map<String, NDArray> all = new LinkedHashMap<>();
        for (NamedParameters p : parts) {
            p.byKey.forEach((k, v) -> {
                NDArray before = all.putIfAbsent(k, v);
                if (before != null && before != v) {
                    throw new InvalidArgumentException("two parts hold different arrays under the key '" + k
                            + "'; give each part its own key prefix");
                }
            });
        }
        return new NamedParameters(Collections.unmodifiableMap(all));
    }

    /**
     * The keys in model order.
     *
     * @return an unmodifiable list
     */
    public List<String> keys() {
        return List.copyOf(byKey.keySet());
    }

    /**
     * The arrays by key, in model order.
     *
     * @return an unmodifiable map of the model's own arrays
     */
    public Map<String, NDArray> asMap() {
        return byKey;
    }

    /**
     * One parameter.
     *
     * @param key its checkpoint key
     * @return the model's array (do not close it)
     * @throws InvalidArgumentException if the model holds no parameter under that key
     */
    public NDArray get(String key) {
        NDArray a = byKey.get(key);
        if (a == null) {
            throw new InvalidArgumentException("no parameter '" + key + "' among the " + byKey.size()
                    + " this model holds" + sample());
        }
        return a;
    }

    /**
     * Whether a key is held.
     *
     * @param key the checkpoint key
     * @return true if present
     */
    public boolean contains(String key) {
        return byKey.containsKey(key);
    }

    /**
     * The number of parameters (tensors).
     *
     * @return the count
     */
    public int size() {
        return byKey.size();
    }

    /**
     * Whether there are none.
     *
     * @return true if empty
     */
    public boolean isEmpty() {
        return byKey.isEmpty();
    }

    /**
     * The number of scalar weights over all parameters.
     *
     * @return the element count
     */
    public long elementCount() {
        long n = 0;
        for (NDArray a : byKey.values()) {
            n += a.getShape().size();
        }
        return n;
    }

    /**
     * The parameters whose key matches one of the globs.
     *
     * @param globs key patterns (see the class comment), at least one
     * @return the subset, in model order
     * @throws InvalidArgumentException if a glob matches no key (usually a typo in the pattern)
     */
    public NamedParameters select(String... globs) {
        if (globs.length == 0) {
            throw new InvalidArgumentException("select needs at least one key pattern");
        }
        List<Predicate<String>> patterns = new ArrayList<>();
        for (String g : globs) {
            Predicate<String> p = glob(g);
            if (byKey.keySet().stream().noneMatch(p)) {
                throw new InvalidArgumentException("the pattern '" + g + "' matches none of the " + byKey.size()
                        + " parameters" + sample() + "; '*' matches within a dot-separated segment, '**' across"
                        + " segments");
            }
            patterns.add(p);
        }
        return filter(k -> patterns.stream().anyMatch(p -> p.test(k)));
    }

    /**
     * The parameters whose whole key matches a regular expression.
     *
     * @param regex the expression
     * @return the subset, in model order
     * @throws InvalidArgumentException if it matches no key
     */
    public NamedParameters select(Pattern regex) {
        NamedParameters out = filter(k -> regex.matcher(k).matches());
        if (out.isEmpty()) {
            throw new InvalidArgumentException("the expression '" + regex + "' matches none of the " + byKey.size()
                    + " parameters" + sample());
        }
        return out;
    }

    /**
     * The parameters whose key matches none of the globs (a glob that matches nothing removes nothing).
     *
     * @param globs key patterns (see the class comment)
     * @return the rest, in model order
     */
    public NamedParameters exclude(String... globs) {
        List<Predicate<String>> patterns = Arrays.stream(globs).map(NamedParameters::glob).toList();
        return filter(k -> patterns.stream().noneMatch(p -> p.test(k)));
    }

    /**
     * The parameters whose key passes a test.
     *
     * @param keep the test
     * @return the subset, in model order
     */
    public NamedParameters filter(Predicate<String> keep) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        byKey.forEach((k, v) -> {
            if (keep.test(k)) {
                out.put(k, v);
            }
        });
        return new NamedParameters(Collections.unmodifiableMap(out));
    }

    /**
     * A key glob as a predicate: {@code *} matches any characters but {@code .}, {@code **} any
     * characters, {@code ?} one character but {@code .}; everything else matches itself.
     *
     * @param glob the pattern
     * @return the predicate over whole keys
     * @throws InvalidArgumentException if the pattern is empty
     */
    public static Predicate<String> glob(String glob) {
        if (glob == null || glob.isEmpty()) {
            throw new InvalidArgumentException("a key pattern must not be empty");
        }
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (c == '*') {
                regex.append("[^.]*");
            } else if (c == '?') {
                regex.append("[^.]");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        Pattern p = Pattern.compile(regex.toString());
        return k -> p.matcher(k).matches();
    }

    /**
     * Copies every parameter's current values to Java.
     *
     * @return key → row-major float32 values, in model order
     */
    public Map<String, float[]> values() {
        Map<String, float[]> out = new LinkedHashMap<>();
        byKey.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    /**
     * Every parameter's shape.
     *
     * @return key → dimensions, in model order
     */
    public Map<String, long[]> shapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        byKey.forEach((k, v) -> out.put(k, v.getShape().getShape()));
        return out;
    }

    /**
     * Writes the current values as one float32 safetensors file, atomically.
     *
     * @param file the target
     * @param metadata header metadata, e.g. {@code format=pt}
     */
    public void writeSafetensors(Path file, Map<String, String> metadata) {
        SafetensorsWriter w = SafetensorsWriter.create();
        metadata.forEach(w::metadata);
        byKey.forEach((k, v) -> NdArrays.addTo(w, k, v));
        w.write(file);
    }

    /**
     * Writes a Hugging Face folder that the model's loader reads back to the current values: every
     * file of {@code source} except its weights is copied, and one {@code model.safetensors} holds these
     * parameters (float32) plus, unchanged, every tensor of the source checkpoint that the model does not
     * hold (buffers, unused heads, layers it skipped).
     *
     * @param source the folder the model was loaded from
     * @param target the folder to write, created if missing; must not be {@code source}
     * @return {@code target}
     * @throws InvalidArgumentException if {@code target} is the source folder
     * @throws UncheckedIOException if a file cannot be copied or written
     */
    public Path saveAsFolder(Path source, Path target) {
        try {
            if (Files.exists(target) && Files.isSameFile(target, source)) {
                throw new InvalidArgumentException("cannot save over the source folder " + source
                        + "; choose another target folder");
            }
            Files.createDirectories(target);
            SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
            byKey.forEach((k, v) -> NdArrays.addTo(w, k, v));
            try (Checkpoint checkpoint = Checkpoint.open(source)) {
                for (String name : checkpoint.tensorNames()) {
                    if (!byKey.containsKey(name)) {
                        TensorInfo t = checkpoint.info(name);
                        ByteBuffer b = checkpoint.reader(t).map(t);
                        byte[] bytes = new byte[b.remaining()];
                        b.get(bytes);
                        w.addRaw(name, t.type(), bytes, t.shape());
                    }
                }
            }
            try (Stream<Path> files = Files.list(source)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String name = f.getFileName().toString();
                    if (!name.endsWith(".safetensors") && !name.equals(Checkpoint.INDEX_FILE)) {
                        copyRecursively(f, target.resolve(name));
                    }
                }
            }
            Files.deleteIfExists(target.resolve(Checkpoint.INDEX_FILE)); // a stale index would shadow the new file
            w.write(target.resolve(Checkpoint.SINGLE_FILE));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the parameters as a folder in " + target + ": "
                    + e.getMessage(), e);
        }
    }

    private static void copyRecursively(Path from, Path to) throws IOException {
        if (Files.isDirectory(from)) {
            Files.createDirectories(to);
            try (Stream<Path> files = Files.list(from)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    copyRecursively(f, to.resolve(f.getFileName().toString()));
                }
            }
        } else {
            Files.copy(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private String sample() {
        List<String> keys = keys();
        return keys.isEmpty() ? "" : " (e.g. " + String.join(", ", keys.subList(0, Math.min(3, keys.size()))) + ")";
    }

    @Override
    public String toString() {
        return "NamedParameters[" + byKey.size() + " tensors, " + elementCount() + " weights]";
    }
}
