package org.vlalign.testing;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/**
 * Named float tensors drawn, in the order they are added, from one seeded {@link Random}, and written as
 * {@code safetensors} (one file, or shards with an index, as Hugging Face saves large models).
 *
 * <p>Every value is a pure function of the seed and the sequence of calls, so a fixture that adds the same
 * tensors in the same order writes the same bytes. Not thread-safe.
 *
 * @since 0.1.0
 */
public final class RandomWeights {
    /** How the weights are stored on disk; the values are drawn in float32 either way. */
    public enum Dtype {
        /** 32-bit floats. */
        F32,
        /** bfloat16, as most released checkpoints. */
        BF16,
        /** IEEE half precision. */
        F16
    }

    private final Random random;
    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    private RandomWeights(long seed) {
        this.random = new Random(seed);
    }

    /**
     * Starts an empty set whose draws come from {@code new Random(seed)}.
     *
     * @param seed the seed
     * @return the empty set
     */
    public static RandomWeights seeded(long seed) {
        return new RandomWeights(seed);
    }

    /**
     * Draws values {@code N(0, std²)} without naming them.
     *
     * @param n how many
     * @param std the standard deviation
     * @return the values
     */
    public float[] gaussian(int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        return v;
    }

    /**
     * Adds a tensor of values {@code N(0, std²)}.
     *
     * @param name the Hugging Face key
     * @param std the standard deviation
     * @param shape the shape
     * @return this
     */
    public RandomWeights normal(String name, double std, long... shape) {
        return put(name, gaussian(Math.toIntExact(count(shape)), std), shape);
    }

    /**
     * Adds an {@code (out, in)} weight matrix with entries {@code N(0, 1/in)}, which keeps activations at unit
     * scale through a random layer.
     *
     * @param name the Hugging Face key
     * @param out rows
     * @param in columns
     * @return this
     */
    public RandomWeights linear(String name, int out, int in) {
        return normal(name, 1 / Math.sqrt(in), out, in);
    }

    /**
     * Adds a vector of values {@code 1 + N(0, std²)}: a norm weight that is not exactly one, so a loader
     * that forgets it shows.
     *
     * @param name the Hugging Face key
     * @param std the spread around one
     * @param n the length
     * @return this
     */
    public RandomWeights nearOne(String name, double std, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (1 + std * random.nextGaussian());
        }
        return put(name, v, n);
    }

    /**
     * Adds a layer norm: {@code prefix + "weight"} near one and {@code prefix + "bias"} around zero, both
     * with spread {@code std}.
     *
     * @param prefix the key prefix, ending with a dot
     * @param n the width
     * @param std the spread
     * @return this
     */
    public RandomWeights layerNorm(String prefix, int n, double std) {
        nearOne(prefix + "weight", std, n);
        return normal(prefix + "bias", std, n);
    }

    /**
     * Adds a tensor with given values.
     *
     * @param name the Hugging Face key
     * @param v the values, row-major
     * @param shape the shape
     * @return this
     */
    public RandomWeights put(String name, float[] v, long... shape) {
        if (v.length != count(shape)) {
            throw new InvalidArgumentException(name + ": " + v.length + " values do not fill the shape");
        }
        values.put(name, v);
        shapes.put(name, shape.clone());
        return this;
    }

    /**
     * Returns the values of one tensor.
     *
     * @param name the key
     * @return the values (the stored array)
     */
    public float[] values(String name) {
        float[] v = values.get(name);
        if (v == null) {
            throw new InvalidArgumentException("no tensor " + name + " among " + values.keySet());
        }
        return v;
    }

    /**
     * Returns the shapes by key, in the order the tensors were added.
     *
     * @return an unmodifiable view
     */
    public Map<String, long[]> shapes() {
        return Collections.unmodifiableMap(shapes);
    }

    /**
     * Writes the tensors whose key starts with {@code prefix}, without the prefix, in float32.
     *
     * @param file the {@code .safetensors} file
     * @param prefix the key prefix to select and strip ({@code ""} for all)
     * @return {@code file}
     */
    public Path writeStripped(Path file, String prefix) {
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                w.addF32(e.getKey().substring(prefix.length()), e.getValue(), shapes.get(e.getKey()));
            }
        }
        w.write(file);
        return file;
    }

    /**
     * Writes every tensor in float32 to one file.
     *
     * @param file the {@code .safetensors} file
     * @return {@code file}
     */
    public Path write(Path file) {
        return writeStripped(file, "");
    }

    /**
     * Writes every tensor into {@code dir}: {@code model.safetensors}, or with {@code shards > 1} the files
     * {@code model-0000i-of-0000n.safetensors} and {@code model.safetensors.index.json}.
     *
     * @param dir the folder (created)
     * @param dtype the stored type
     * @param shards how many files
     * @return {@code dir}
     */
    public Path write(Path dir, Dtype dtype, int shards) {
        try {
            Files.createDirectories(dir);
            if (shards <= 1) {
                writeShard(dir.resolve("model.safetensors"), values.keySet(), dtype);
                return dir;
            }
            JsonObject weightMap = new JsonObject();
            int per = (values.size() + shards - 1) / shards;
            java.util.List<String> names = java.util.List.copyOf(values.keySet());
            for (int s = 0; s * per < names.size(); s++) {
                String file = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
                java.util.List<String> part = names.subList(s * per, Math.min(names.size(), (s + 1) * per));
                part.forEach(n -> weightMap.addProperty(n, file));
                writeShard(dir.resolve(file), part, dtype);
            }
            JsonObject index = new JsonObject();
            index.add("metadata", new JsonObject());
            index.add("weight_map", weightMap);
            Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString(), StandardCharsets.UTF_8);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeShard(Path file, Iterable<String> names, Dtype dtype) {
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        for (String name : names) {
            float[] v = values.get(name);
            long[] shape = shapes.get(name);
            switch (dtype) {
                case F32 -> w.addF32(name, v, shape);
                case BF16 -> w.addBf16(name, v, shape);
                case F16 -> w.addF16(name, v, shape);
            }
        }
        w.write(file);
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }
}
