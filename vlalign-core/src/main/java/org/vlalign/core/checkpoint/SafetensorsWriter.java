package org.vlalign.core.checkpoint;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlalign.CheckpointException;
import org.vlalign.Checks;

/**
 * Writes safetensors files: F32, I64, BF16 and F16 tensors plus {@code __metadata__}.
 *
 * <p>Used by tests (tiny random checkpoints), adaptor export and the project's own artifacts. The
 * file is written to a temporary sibling and moved into place, so readers never see half a file.
 *
 * <p>Not thread-safe: one builder per file.
 *
 * <pre>{@code
 * SafetensorsWriter.create()
 *         .metadata("format", "pt")
 *         .addF32("weight", values, 4, 8)
 *         .write(dir.resolve("model.safetensors"));
 * }</pre>
 *
 * @since 0.1.0
 */
public final class SafetensorsWriter {

    private record Entry(SafetensorsDtype dtype, long[] shape, byte[] data) {}

    /**
     * A float32 tensor as plain Java: row-major values and their shape.
     *
     * @param data the values
     * @param shape the dimensions; their product equals {@code data.length}
     */
    public record F32(float[] data, long... shape) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private SafetensorsWriter() {}

    /**
     * A new, empty writer.
     *
     * @return the writer
     */
    public static SafetensorsWriter create() {
        return new SafetensorsWriter();
    }

    /**
     * Writes plain-Java float32 tensors in one call (e.g. an exported adaptor).
     *
     * @param file the target file
     * @param tensors name → values and shape, written in map order
     * @param metadata {@code __metadata__} entries (may be empty)
     */
    public static void writeF32(Path file, Map<String, F32> tensors, Map<String, String> metadata) {
        SafetensorsWriter w = create();
        metadata.forEach(w::metadata);
        tensors.forEach((name, t) -> w.addF32(name, t.data(), t.shape()));
        w.write(file);
    }

    /**
     * Adds a metadata entry.
     *
     * @param key the key
     * @param value the value
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Checks.checkNotNull(key, "key"), Checks.checkNotNull(value, "value"));
        return this;
    }

    /**
     * Adds a float32 tensor.
     *
     * @param name the name
     * @param data row-major values
     * @param shape the dimensions; their product must equal {@code data.length}
     * @return this writer
     */
    public SafetensorsWriter addF32(String name, float[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        return put(name, SafetensorsDtype.F32, shape, b.array());
    }

    /**
     * Adds a float tensor rounded to bfloat16.
     *
     * @param name the name
     * @param data row-major values
     * @param shape the dimensions
     * @return this writer
     */
    public SafetensorsWriter addBf16(String name, float[] data, long... shape) {
        return add16(name, SafetensorsDtype.BF16, data, shape);
    }

    /**
     * Adds a float tensor rounded to IEEE half precision.
     *
     * @param name the name
     * @param data row-major values
     * @param shape the dimensions
     * @return this writer
     */
    public SafetensorsWriter addF16(String name, float[] data, long... shape) {
        return add16(name, SafetensorsDtype.F16, data, shape);
    }

    /** Adds floats rounded to one of the two 16-bit float dtypes. */
    private SafetensorsWriter add16(String name, SafetensorsDtype dtype, float[] data, long[] shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = ByteBuffer.allocate(data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) {
            b.putShort(dtype == SafetensorsDtype.BF16 ? DtypeConversion.floatToBf16(f) : DtypeConversion.floatToHalf(f));
        }
        return put(name, dtype, shape, b.array());
    }

    /**
     * Adds an int64 tensor.
     *
     * @param name the name
     * @param data row-major values
     * @param shape the dimensions
     * @return this writer
     */
    public SafetensorsWriter addI64(String name, long[] data, long... shape) {
        checkCount(name, data.length, shape);
        ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(data);
        return put(name, SafetensorsDtype.I64, shape, b.array());
    }

    /**
     * Adds raw little-endian bytes of any dtype.
     *
     * @param name the name
     * @param dtype the element type
     * @param littleEndianData the bytes
     * @param shape the dimensions
     * @return this writer
     */
    public SafetensorsWriter addRaw(String name, SafetensorsDtype dtype, byte[] littleEndianData, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        Checks.checkArgument(n * dtype.byteSize() == littleEndianData.length,
                "tensor %s: %s%s needs %s bytes but got %s", name, dtype, Arrays.toString(shape),
                n * dtype.byteSize(), littleEndianData.length);
        return put(name, dtype, shape, littleEndianData.clone());
    }

    private static void checkCount(String name, int length, long[] shape) {
        long n = 1;
        for (long d : shape) {
            Checks.checkArgument(d >= 0, "tensor %s: negative dimension in %s", name, Arrays.toString(shape));
            n *= d;
        }
        Checks.checkArgument(n == length, "tensor %s: shape %s needs %s values but got %s", name,
                Arrays.toString(shape), n, length);
    }

    private SafetensorsWriter put(String name, SafetensorsDtype dtype, long[] shape, byte[] data) {
        Checks.checkArgument(!"__metadata__".equals(name), "'__metadata__' is reserved");
        Checks.checkArgument(!entries.containsKey(name), "tensor %s added twice", name);
        entries.put(name, new Entry(dtype, shape.clone(), data));
        return this;
    }

    /**
     * Writes the file (atomically replacing an existing one).
     *
     * @param file the target
     * @throws CheckpointException if writing fails
     */
    public void write(Path file) {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject md = new JsonObject();
            metadata.forEach(md::addProperty);
            header.add("__metadata__", md);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", e.getValue().dtype().name());
            JsonArray shape = new JsonArray();
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray off = new JsonArray();
            off.add(offset);
            offset += e.getValue().data().length;
            off.add(offset);
            t.add("data_offsets", off);
            header.add(e.getKey(), t);
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8; // the data area starts 8-byte aligned, as safetensors writes it
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        Path abs = file.toAbsolutePath();
        Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
        try {
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(len.array());
                out.write(headerBytes);
                for (Entry e : entries.values()) {
                    out.write(e.data());
                }
            }
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CheckpointException("cannot write safetensors file " + file + ": " + e.getMessage(), e);
        }
    }
}
