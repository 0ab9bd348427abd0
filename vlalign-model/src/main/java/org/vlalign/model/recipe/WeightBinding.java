package org.vlalign.model.recipe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.vlalign.CheckpointException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * A model loaded by the SDK's own loader together with the live weight arrays it computes with, by
 * checkpoint key, so the recipe can train the very objects that inference uses.
 *
 * <p>The model classes keep their weights private. To find which array holds which tensor, the folder is
 * first loaded from a <em>tagged</em> copy in which tensor {@code i} (in sorted key order) is filled with
 * the constant {@code 1000 + i}; every array in the model's weight manager that has a tensor's shape and
 * holds only its tag is that tensor. The real values are then written into those arrays in place. A tensor
 * found in no array, or in two (a weight copied or transposed at load time, so training it would not
 * change the forward pass), fails the binding with a {@link CheckpointException}.
 *
 * <p>After {@link #bind}, gradients can be enabled on {@link #parameters()} and the model's NDArray
 * forward passes run under a DJL {@code GradientCollector}; {@link #save} writes the current values as a
 * Hugging Face folder that the same loader reads.
 *
 * <p>Not thread-safe. The arrays belong to the model; closing the model releases them.
 *
 * @param <M> the model type
 * @since 0.1.0
 */
final class WeightBinding<M> {
    private static final float TAG_BASE = 1000f;
    /** Largest tag that float32 represents exactly. */
    private static final int MAX_TENSORS = (1 << 24) - 1001;

    private final M model;
    private final Path source;
    private final Map<String, NDArray> parameters; // key -> live weight (checkpoint shape)

    private WeightBinding(M model, Path source, Map<String, NDArray> parameters) {
        this.model = model;
        this.source = source;
        this.parameters = Collections.unmodifiableMap(parameters);
    }

    /**
     * Loads a checkpoint folder with {@code loader} and binds every float tensor to the array the model
     * holds it in.
     *
     * @param dir the Hugging Face folder (one {@code model.safetensors})
     * @param loader the SDK loader, e.g. {@code BlipFeatureExtractor::load}
     * @param weightManager the manager that owns the loaded model's weights
     * @param <M> the model type
     * @return the binding; close the model when done
     * @throws CheckpointException if a tensor cannot be matched to exactly one array
     */
    public static <M extends AutoCloseable> WeightBinding<M> bind(
            Path dir, Function<Path, M> loader, Function<M, NDManager> weightManager) {
        Map<String, float[]> real = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            List<String> names = new ArrayList<>(checkpoint.tensorNames());
            Collections.sort(names);
            for (String name : names) {
                TensorInfo info = checkpoint.info(name);
                if (info.type().isFloat()) {
                    real.put(name, checkpoint.loadFloats(name));
                    shapes.put(name, info.shape());
                }
            }
        }
        if (real.size() > MAX_TENSORS) {
            throw new CheckpointException(dir + " has " + real.size() + " tensors; at most " + MAX_TENSORS
                    + " can be bound");
        }
        Path tagged = null;
        M model = null;
        try {
            tagged = taggedCopy(dir, shapes);
            model = loader.apply(tagged);
            Map<String, NDArray> bound = match(weightManager.apply(model), shapes, dir);
            for (Map.Entry<String, NDArray> e : bound.entrySet()) {
                e.getValue().set(FloatBuffer.wrap(real.get(e.getKey())));
            }
            return new WeightBinding<>(model, dir, bound);
        } catch (RuntimeException e) {
            closeQuietly(model, e);
            throw e;
        } finally {
            deleteRecursively(tagged);
        }
    }

    private static Map<String, NDArray> match(NDManager manager, Map<String, long[]> shapes, Path dir) {
        List<String> names = new ArrayList<>(shapes.keySet());
        Map<String, NDArray> found = new LinkedHashMap<>();
        for (NDArray array : manager.getManagedArrays()) {
            if (array.isReleased() || array.getDataType() != DataType.FLOAT32
                    || array.size() == 0) {
                continue;
            }
            float first = array.getFloat(firstIndex(array));
            int tag = Math.round(first - TAG_BASE);
            if (first != TAG_BASE + tag || tag < 0 || tag >= names.size()) {
                continue;
            }
            String name = names.get(tag);
            if (!Arrays.equals(array.getShape().getShape(), shapes.get(name))) {
                continue;
            }
            float[] all = array.toFloatArray();
            boolean constant = true;
            for (float f : all) {
                if (f != first) {
                    constant = false;
                    break;
                }
            }
            if (!constant) {
                continue;
            }
            if (found.put(name, array) != null) {
                throw new CheckpointException("tensor '" + name + "' of " + dir + " is held in two arrays of the"
                        + " loaded model (a copy made at load time); it cannot be trained through this model class");
            }
        }
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            if (!found.containsKey(name)) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new CheckpointException("tensors " + missing + " of " + dir + " are not held as plain float32"
                    + " arrays by the loaded model (unused, or transformed at load time), so they cannot be trained;"
                    + " remove them from the checkpoint or train through a model class that keeps them");
        }
        Map<String, NDArray> ordered = new LinkedHashMap<>();
        for (String name : names) {
            ordered.put(name, found.get(name));
        }
        return ordered;
    }

    private static long[] firstIndex(NDArray array) {
        return new long[array.getShape().dimension()];
    }

    private static Path taggedCopy(Path dir, Map<String, long[]> shapes) {
        try {
            Path tagged = Files.createTempDirectory("vlalign-bind-");
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String name = f.getFileName().toString();
                    if (name.endsWith(".safetensors") || name.equals(Checkpoint.INDEX_FILE)) {
                        continue;
                    }
                    copyRecursively(f, tagged.resolve(name));
                }
            }
            SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
            int i = 0;
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                long n = 1;
                for (long s : e.getValue()) {
                    n *= s;
                }
                float[] v = new float[Math.toIntExact(n)];
                Arrays.fill(v, TAG_BASE + i++);
                w.addF32(e.getKey(), v, e.getValue());
            }
            w.write(tagged.resolve(Checkpoint.SINGLE_FILE));
            return tagged;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a tagged copy of " + dir + " in the temp folder", e);
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
            Files.copy(from, to);
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    private static void closeQuietly(AutoCloseable model, RuntimeException primary) {
        if (model == null) {
            return;
        }
        try {
            model.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }

    /**
     * The loaded model.
     *
     * @return the model
     */
    public M model() {
        return model;
    }

    /**
     * The folder the model was loaded from.
     *
     * @return the source folder
     */
    public Path source() {
        return source;
    }

    /**
     * The live weights by checkpoint key, in sorted key order.
     *
     * @return an unmodifiable map of the model's own arrays
     */
    public Map<String, NDArray> parameters() {
        return parameters;
    }

    /**
     * Copies the current weights to Java arrays.
     *
     * @return key to row-major float32 values, in key order
     */
    public Map<String, float[]> values() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            out.put(e.getKey(), e.getValue().toFloatArray());
        }
        return out;
    }

    /**
     * Writes the current weights as a Hugging Face folder: every file of the source folder except its
     * weights, and a new {@code model.safetensors}.
     *
     * @param target the folder to write, created if missing; must differ from the source
     * @return {@code target}
     * @throws UncheckedIOException if a file cannot be written
     */
    public Path save(Path target) {
        try {
            if (Files.exists(target) && Files.isSameFile(target, source)) {
                throw new InvalidArgumentException("cannot save over the source folder " + source
                        + "; choose another target folder");
            }
            Files.createDirectories(target);
            try (Stream<Path> files = Files.list(source)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String name = f.getFileName().toString();
                    if (name.endsWith(".safetensors") || name.equals(Checkpoint.INDEX_FILE)) {
                        continue;
                    }
                    Path to = target.resolve(name);
                    deleteRecursively(to);
                    copyRecursively(f, to);
                }
            }
            SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                w.addF32(e.getKey(), e.getValue().toFloatArray(), e.getValue().getShape().getShape());
            }
            w.write(target.resolve(Checkpoint.SINGLE_FILE));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the trained weights to " + target, e);
        }
    }
}
