package org.vlalign.torch.internal.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.vlalign.CheckpointException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.core.checkpoint.LoadProgress;
import org.vlalign.core.checkpoint.SafetensorsReader;
import org.vlalign.core.checkpoint.TensorInfo;
import org.vlalign.torch.internal.NamedParameters;

/**
 * A {@link Checkpoint} read as DJL NDArrays: float tensors become float32 arrays (BF16, F16, F64 and F32
 * are accepted), integer tensors keep their type.
 *
 * <p>Every array is in storage that libtorch allocates. The bytes pass through one reusable staging
 * buffer of at most {@value #STAGING_BYTES} bytes, so loading a model never holds Java direct memory in
 * proportion to its size and does not depend on {@code -XX:MaxDirectMemorySize}.
 *
 * <p>Every float tensor loaded is recorded under its key, in load order, so a model class can expose the
 * arrays it computes with as {@link NamedParameters}: note {@link #loadedCount()} before loading its
 * weights and take {@link #loadedSince(int)} after. A class that transforms a weight after loading it
 * (transposes, fuses, reads it into a Java value) must read it another way or leave it out of its
 * parameters, since the array would no longer equal the stored tensor.
 *
 * <p>Not thread-safe (the staging buffer is shared): load from one thread. {@link #close} closes the
 * underlying checkpoint.
 *
 * @since 0.1.0
 */
public final class TorchCheckpoint implements AutoCloseable {

    /** The staging buffer's size: the most direct memory one load holds at once. */
    static final int STAGING_BYTES = 16 << 20;

    private final Checkpoint checkpoint;
    private ByteBuffer staging; // lazily allocated, native order
    private final List<Map.Entry<String, NDArray>> loaded = new ArrayList<>(); // every float load, in order

    private TorchCheckpoint(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
    }

    /**
     * Opens a checkpoint folder, or a single {@code .safetensors} file.
     *
     * @param dir the folder or file
     * @return the checkpoint; close it
     * @throws CheckpointException if the files are missing or damaged
     */
    public static TorchCheckpoint open(Path dir) {
        return new TorchCheckpoint(Checkpoint.open(dir));
    }

    /**
     * Opens a single safetensors file without config.
     *
     * @param file the file
     * @return the checkpoint; close it
     */
    public static TorchCheckpoint openFile(Path file) {
        return new TorchCheckpoint(Checkpoint.openFile(file));
    }

    /**
     * The engine-free checkpoint underneath.
     *
     * @return the checkpoint, owned by this object
     */
    public Checkpoint checkpoint() {
        return checkpoint;
    }

    /**
     * Loads a float tensor as a float32 NDArray.
     *
     * @param name the tensor
     * @param manager owns the new array
     * @param expectedShape if given, the shape the model expects (from config.json)
     * @return a float32 array of the tensor's shape
     * @throws CheckpointException if absent, not a float type, or of another shape than expected
     */
    public NDArray load(String name, NDManager manager, long... expectedShape) {
        TensorInfo t = checkpoint.info(name);
        Checkpoint.checkShape(t, expectedShape);
        if (!t.type().isFloat()) {
            throw new CheckpointException("tensor '" + name + "' in " + t.file() + " has dtype " + t.dtype()
                    + " but a float tensor was expected; integer tensors are read with loadRaw");
        }
        checkpoint.beginRead(t);
        SafetensorsReader r = checkpoint.reader(t);
        long[] shape = t.shape();
        long numel = t.numel();
        long maxPiece = STAGING_BYTES / 4;
        NDArray out;
        if (numel <= maxPiece) {
            out = piece(r, t, 0, numel, new Shape(shape), manager);
        } else {
            // Row blocks written into one libtorch-owned array: memory is the tensor plus the staging buffer.
            long rowElems = shape.length == 0 ? 1 : numel / Math.max(1, shape[0]);
            if (rowElems > maxPiece) {
                throw new CheckpointException("tensor '" + name + "' in " + t.file() + " has rows of " + rowElems
                        + " elements, more than the " + maxPiece + " one read can stage");
            }
            long rowsPerPiece = maxPiece / rowElems;
            out = manager.zeros(new Shape(shape), DataType.FLOAT32);
            try (NDManager tmp = manager.newSubManager()) {
                for (long row = 0; row < shape[0]; row += rowsPerPiece) {
                    long rows = Math.min(rowsPerPiece, shape[0] - row);
                    long[] ps = shape.clone();
                    ps[0] = rows;
                    try (NDArray p = piece(r, t, row * rowElems, rows * rowElems, new Shape(ps), tmp)) {
                        out.set(new NDIndex(row + ":" + (row + rows)), p);
                    }
                }
            }
        }
        checkpoint.endRead(t);
        loaded.add(Map.entry(name, out));
        return out;
    }

    /** float16's largest finite value: a tensor with larger magnitudes stays float32. */
    static final float FLOAT16_MAX = 65504f;

    /**
     * Loads a float tensor and keeps it in float16: half the memory of {@link #load}, for large weights that
     * are only read (a vision tower's projections). A tensor with a value beyond float16's range stays
     * float32. While loading, the tensor is briefly held in float32 as well.
     *
     * @param name the tensor
     * @param manager owns the new array
     * @param expectedShape if given, the shape the model expects
     * @return a float16 (or, out of range, float32) array of the tensor's shape
     * @throws CheckpointException if absent, not a float type, or of another shape than expected
     * @since 0.2.0
     */
    public NDArray loadHalf(String name, NDManager manager, long... expectedShape) {
        NDArray wide = load(name, manager, expectedShape);
        float max;
        try (NDArray abs = wide.abs(); NDArray m = abs.max()) {
            max = m.getFloat();
        }
        if (!(max <= FLOAT16_MAX)) {
            return wide;
        }
        NDArray half = wide.toType(DataType.FLOAT16, false);
        wide.close();
        loaded.set(loaded.size() - 1, Map.entry(name, half));
        return half;
    }

    /**
     * The number of float tensors loaded so far; a mark for {@link #loadedSince(int)}.
     *
     * @return the count
     * @since 0.2.0
     */
    public int loadedCount() {
        return loaded.size();
    }

    /**
     * The float tensors loaded since a mark, by key, in load order: the parameters of the model part
     * that loaded them.
     *
     * @param mark a value {@link #loadedCount()} returned earlier
     * @return the arrays by checkpoint key
     * @throws org.vlalign.InvalidArgumentException if one key was loaded twice since the mark (two arrays
     *     would claim it)
     * @since 0.2.0
     */
    public NamedParameters loadedSince(int mark) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : loaded.subList(mark, loaded.size())) {
            if (out.put(e.getKey(), e.getValue()) != null) {
                throw new org.vlalign.InvalidArgumentException("tensor '" + e.getKey() + "' of " + directory()
                        + " was loaded twice by one model part; load it once and share the array");
            }
        }
        return NamedParameters.of(out);
    }

    /** Reads {@code count} elements from {@code first} into a new libtorch-owned float32 array. */
    private NDArray piece(SafetensorsReader r, TensorInfo t, long first, long count, Shape shape, NDManager owner) {
        ByteBuffer buf = staging();
        buf.clear();
        buf.limit((int) (count * 4));
        r.readFloats(t, first, count, buf.asFloatBuffer());
        try (NDArray view = owner.create(buf, shape, DataType.FLOAT32)) {
            return view.duplicate(); // torch clone: storage of its own, the staging buffer is reused
        }
    }

    /**
     * Loads a tensor keeping integer types (I64, I32, I8, U8, BOOL); float types become float32.
     *
     * @param name the tensor
     * @param manager owns the new array
     * @param expectedShape if given, the expected shape
     * @return the array
     * @throws CheckpointException if absent, of an unsupported type, or of another shape
     */
    public NDArray loadRaw(String name, NDManager manager, long... expectedShape) {
        TensorInfo t = checkpoint.info(name);
        Checkpoint.checkShape(t, expectedShape);
        if (t.type().isFloat()) {
            return load(name, manager, expectedShape);
        }
        DataType dt = switch (t.type()) {
            case I64 -> DataType.INT64;
            case I32 -> DataType.INT32;
            case I8 -> DataType.INT8;
            case U8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
            default -> throw new CheckpointException("tensor '" + name + "' in " + t.file() + " has dtype "
                    + t.dtype() + ", which cannot be loaded as an NDArray; supported: F64, F32, F16, BF16, I64, I32, "
                    + "I8, U8, BOOL");
        };
        if (t.byteLength() > STAGING_BYTES) {
            throw new CheckpointException("integer tensor '" + name + "' in " + t.file() + " has " + t.byteLength()
                    + " bytes; at most " + STAGING_BYTES + " are supported");
        }
        checkpoint.beginRead(t);
        ByteBuffer src = checkpoint.reader(t).map(t);
        ByteBuffer buf = staging();
        buf.clear();
        if (t.type().byteSize() == 1) {
            buf.put(src);
        } else if (dt == DataType.INT64) {
            buf.asLongBuffer().put(src.asLongBuffer());
            buf.position((int) t.byteLength());
        } else {
            buf.asIntBuffer().put(src.asIntBuffer());
            buf.position((int) t.byteLength());
        }
        buf.flip();
        NDArray out;
        try (NDArray view = manager.create(buf, new Shape(t.shape()), dt)) {
            out = view.duplicate();
        }
        checkpoint.endRead(t);
        return out;
    }

    private ByteBuffer staging() {
        if (staging == null) {
            staging = ByteBuffer.allocateDirect(STAGING_BYTES).order(ByteOrder.nativeOrder());
        }
        return staging;
    }

    /**
     * Sets a progress callback for subsequent loads.
     *
     * @param progress the callback
     * @return this checkpoint
     */
    public TorchCheckpoint onProgress(LoadProgress progress) {
        checkpoint.onProgress(progress);
        return this;
    }

    /**
     * The checkpoint folder.
     *
     * @return the folder
     */
    public Path directory() {
        return checkpoint.directory();
    }

    /**
     * The parsed {@code config.json}.
     *
     * @return a deep copy
     */
    public JsonObject config() {
        return checkpoint.config();
    }

    /**
     * Checks that {@code config.json} names the model type a loader reads.
     *
     * @param modelType the {@code model_type} the loader reads
     * @param loader what reads it, ending the message, e.g. {@code "LlavaModels loads model_type 'llava'"}
     * @throws UnsupportedModelException if {@code config.json} names another type, or none
     */
    public void requireModelType(String modelType, String loader) {
        String actual = HfConfigs.getString(config(), "model_type", "");
        if (!modelType.equals(actual)) {
            throw new UnsupportedModelException(
                    "config.json in " + directory() + " has model_type '" + actual + "' but " + loader + ".");
        }
    }

    /**
     * The parsed {@code generation_config.json}, if present.
     *
     * @return a deep copy, or empty
     */
    public Optional<JsonObject> generationConfig() {
        return checkpoint.generationConfig();
    }

    /**
     * All tensor names, sorted.
     *
     * @return the names
     */
    public Set<String> tensorNames() {
        return checkpoint.tensorNames();
    }

    /**
     * Whether a tensor exists.
     *
     * @param name the name
     * @return true if present
     */
    public boolean has(String name) {
        return checkpoint.has(name);
    }

    /**
     * A tensor's dtype, shape and location.
     *
     * @param name the name
     * @return the info
     */
    public TensorInfo info(String name) {
        return checkpoint.info(name);
    }

    /**
     * Reads a float tensor into a Java array.
     *
     * @param name the tensor
     * @return float32 values, row-major
     */
    public float[] loadFloats(String name) {
        return checkpoint.loadFloats(name);
    }

    /**
     * The checkpoint's fingerprint.
     *
     * @return the fingerprint
     */
    public String fingerprint() {
        return checkpoint.fingerprint();
    }

    /** Closes the checkpoint. Idempotent. */
    @Override
    public void close() {
        loaded.clear();
        checkpoint.close();
    }

    @Override
    public String toString() {
        return checkpoint.toString();
    }
}
