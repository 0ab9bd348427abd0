package org.vlalign.core.checkpoint;

import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToLongFunction;
import org.vlalign.CheckpointException;
import org.vlalign.core.Closeables;

/**
 * Validates and memory-maps one safetensors file.
 *
 * <p>The header is checked before anything is allocated from it: the declared header length must fit
 * in the file and under {@link #MAX_HEADER_BYTES}; the JSON must be an object of {@code {dtype, shape,
 * data_offsets}} entries with known dtypes, at most {@link #MAX_DIMS} non-negative dimensions whose
 * product does not overflow, and a byte length equal to elements × dtype size; no key may appear twice,
 * and the tensors must tile the data area exactly, without overlaps, gaps or trailing bytes (as the
 * reference Rust reader requires). The JSON is read as a stream, entry by entry, never as a tree.
 * A malformed or malicious file therefore fails with a {@link CheckpointException} naming the file,
 * the tensor and the offending value, never with a huge allocation.
 *
 * <p>Tensor data is never copied into the heap as a whole: {@link #map} returns read-only
 * memory-mapped slices (a tensor larger than 2 GB is read through several mappings by {@link
 * #readFloats}).
 *
 * <p>Thread-safe after {@link #open}: all reads are positional; {@link #close} must not race reads.
 *
 * <pre>{@code
 * try (SafetensorsReader r = SafetensorsReader.open(file)) {
 *     float[] w = r.readFloats("lm_head.weight");
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class SafetensorsReader implements AutoCloseable {

    /** The largest header accepted (the safetensors reference implementation's limit). */
    public static final long MAX_HEADER_BYTES = 100L * 1000 * 1000;

    /** The most dimensions a tensor may have (PyTorch's own limit is lower in practice). */
    public static final int MAX_DIMS = 64;

    private static final String METADATA_KEY = "__metadata__";
    /** Mapping granularity for very large tensors: a multiple of every element size. */
    private static final long CHUNK_BYTES = 1L << 28;

    private final Path file;
    private final FileChannel channel;
    private final long dataStart; // absolute offset of the byte after the header
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsReader(
            Path file, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens and validates a safetensors file.
     *
     * @param file the file
     * @return the reader; close it
     * @throws CheckpointException if the file cannot be read or its header is invalid
     */
    public static SafetensorsReader open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException("cannot open safetensors file " + file + ": " + e.getMessage()
                    + "; check that the path exists and is readable", e);
        }
        try {
            SafetensorsReader r = parse(file, ch);
            return r;
        } catch (RuntimeException e) {
            Closeables.closeQuietly(ch);
            throw e;
        }
    }

    private static SafetensorsReader parse(Path file, FileChannel ch) {
        long size;
        try {
            size = ch.size();
        } catch (IOException e) {
            throw new CheckpointException("cannot read the size of " + file + ": " + e.getMessage(), e);
        }
        if (size < 8) {
            throw new CheckpointException("safetensors file " + file + " is truncated: it has " + size
                    + " bytes but must start with an 8-byte header length; re-download or re-export the file");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, file);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
            throw new CheckpointException("safetensors file " + file + " declares a header of "
                    + Long.toUnsignedString(headerLen) + " bytes at offset 0; a valid header is 2.."
                    + MAX_HEADER_BYTES + " bytes: the file is corrupt or not a safetensors file");
        }
        if (headerLen > size - 8) {
            throw new CheckpointException("safetensors file " + file + " declares a header of " + headerLen
                    + " bytes but the file has only " + (size - 8) + " bytes after the length field: the file is "
                    + "truncated; re-download or re-export it");
        }
        ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
        readFully(ch, headerBuf, 8, file);
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        parseHeader(headerBuf.array(), file, dataStart, dataSize, tensors, metadata);
        checkCoverage(tensors, file, dataStart, dataSize);
        return new SafetensorsReader(file, ch, dataStart, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata));
    }

    /**
     * Reads the header JSON as a stream, one entry at a time, so a hostile header (a shape array of
     * millions of elements, deep nesting) is refused at its first excess instead of becoming a JSON
     * tree in the heap.
     */
    private static void parseHeader(byte[] header, Path file, long dataStart, long dataSize,
            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (JsonReader reader = new JsonReader(new InputStreamReader(new ByteArrayInputStream(header), decoder))) {
            reader.setStrictness(Strictness.STRICT);
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw new CheckpointException("safetensors header of " + file
                        + " must be a JSON object of tensors but starts with " + reader.peek());
            }
            reader.beginObject();
            boolean sawMetadata = false;
            while (reader.hasNext()) {
                String name = reader.nextName();
                if (tensors.containsKey(name) || (name.equals(METADATA_KEY) && sawMetadata)) {
                    throw new CheckpointException("safetensors file " + file + ": the header names '" + name
                            + "' twice; the reference reader refuses duplicate keys: the header is corrupt or"
                            + " malicious");
                }
                if (name.equals(METADATA_KEY)) {
                    sawMetadata = true;
                    readMetadata(reader, metadata, file);
                } else {
                    tensors.put(name, readEntry(name, reader, file, dataStart, dataSize));
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new CheckpointException("safetensors header of " + file
                        + " has trailing data after its JSON object: the file is corrupt");
            }
        } catch (CharacterCodingException e) {
            throw new CheckpointException("safetensors header of " + file + " (bytes 8.." + dataStart
                    + ") is not valid UTF-8: the file is corrupt", e);
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new CheckpointException("safetensors header of " + file + " is not valid JSON ("
                    + e.getMessage() + "): the file is corrupt or not a safetensors file", e);
        }
    }

    /**
     * Checks that the tensors tile the data area exactly, in offset order, as the reference reader
     * does: an overlap, a gap or bytes after the last tensor mean a corrupt or doctored file.
     */
    private static void checkCoverage(Map<String, TensorInfo> tensors, Path file, long dataStart, long dataSize) {
        List<TensorInfo> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(TensorInfo::offset).thenComparingLong(TensorInfo::byteLength));
        long covered = 0;
        String previous = null;
        for (TensorInfo t : byOffset) {
            long begin = t.offset() - dataStart;
            if (begin < covered) {
                throw new CheckpointException("safetensors file " + file + ": tensors '" + previous + "' and '"
                        + t.name() + "' overlap at data offset " + begin + ": the header is corrupt or malicious");
            }
            if (begin > covered) {
                throw new CheckpointException("safetensors file " + file + ": data bytes " + covered + ".." + begin
                        + " (before tensor '" + t.name() + "') belong to no tensor; the reference reader refuses"
                        + " such gaps: the header is corrupt or the file was altered");
            }
            covered = begin + t.byteLength();
            previous = t.name();
        }
        if (covered != dataSize) {
            throw new CheckpointException("safetensors file " + file + ": its last " + (dataSize - covered)
                    + " bytes (absolute " + (dataStart + covered) + ".." + (dataStart + dataSize) + ") belong to no"
                    + " tensor; the reference reader refuses them: the file has data appended or was altered");
        }
    }

    private static void readMetadata(JsonReader reader, Map<String, String> out, Path file) throws IOException {
        if (reader.peek() != JsonToken.BEGIN_OBJECT) {
            throw new CheckpointException("safetensors header of " + file + ": '__metadata__' must be an object of "
                    + "strings but is " + reader.peek());
        }
        reader.beginObject();
        while (reader.hasNext()) {
            String key = reader.nextName();
            if (reader.peek() != JsonToken.STRING) {
                throw new CheckpointException("safetensors header of " + file + ": '__metadata__." + key
                        + "' must be a string but is " + reader.peek());
            }
            if (out.put(key, reader.nextString()) != null) {
                throw new CheckpointException("safetensors header of " + file + ": '__metadata__." + key
                        + "' appears twice: the header is corrupt");
            }
        }
        reader.endObject();
    }

    private static TensorInfo readEntry(String name, JsonReader reader, Path file, long dataStart, long dataSize)
            throws IOException {
        String where = "safetensors file " + file + ", tensor '" + name + "'";
        if (reader.peek() != JsonToken.BEGIN_OBJECT) {
            throw new CheckpointException(where + ": entry must be an object {dtype, shape, data_offsets} but is "
                    + reader.peek());
        }
        String dtypeName = null;
        long[] shape = null;
        long[] offsets = null;
        reader.beginObject();
        while (reader.hasNext()) {
            String field = reader.nextName();
            switch (field) {
                case "dtype" -> {
                    if (dtypeName != null || reader.peek() != JsonToken.STRING) {
                        throw new CheckpointException(where + ": 'dtype' must be one string but is "
                                + (dtypeName != null ? "given twice" : reader.peek()));
                    }
                    dtypeName = reader.nextString();
                }
                case "shape" -> {
                    if (shape != null) {
                        throw new CheckpointException(where + ": 'shape' is given twice");
                    }
                    shape = readLongs(reader, where + ": shape", MAX_DIMS);
                }
                case "data_offsets" -> {
                    if (offsets != null) {
                        throw new CheckpointException(where + ": 'data_offsets' is given twice");
                    }
                    offsets = readLongs(reader, where + ": data_offsets", 2);
                }
                default -> throw new CheckpointException(where + ": unknown field '" + field
                        + "'; an entry has only dtype, shape and data_offsets");
            }
        }
        reader.endObject();
        if (dtypeName == null) {
            throw new CheckpointException(where + ": 'dtype' must be a string but is missing");
        }
        String dtName = dtypeName;
        SafetensorsDtype dtype = SafetensorsDtype.fromName(dtName).orElseThrow(() -> new CheckpointException(
                where + ": unknown dtype '" + dtName + "'; known: " + SafetensorsDtype.knownNames()));
        if (shape == null) {
            throw new CheckpointException(where + ": 'shape' must be an array of integers but is missing");
        }
        long numel = 1;
        try {
            for (long d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": shape " + Arrays.toString(shape)
                    + " has more elements than a long can count: the header is corrupt or malicious", e);
        }
        if (offsets == null || offsets.length != 2) {
            throw new CheckpointException(where + ": 'data_offsets' must be [begin, end] but is "
                    + (offsets == null ? "missing" : Arrays.toString(offsets)));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end
                    + "] lie outside the data area of " + dataSize + " bytes (absolute bytes " + dataStart + ".."
                    + (dataStart + dataSize) + "): the file is truncated or the header is corrupt");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": shape " + Arrays.toString(shape) + " overflows", e);
        }
        if (end - begin != expected) {
            throw new CheckpointException(where + ": data_offsets [" + begin + ", " + end + "] hold " + (end - begin)
                    + " bytes but " + dtName + Arrays.toString(shape) + " needs " + expected
                    + " bytes: the header is corrupt");
        }
        return new TensorInfo(name, dtName, shape, file, dataStart + begin, expected);
    }

    /** An array of at most {@code max} non-negative integers, read element by element. */
    private static long[] readLongs(JsonReader reader, String what, int max) throws IOException {
        if (reader.peek() != JsonToken.BEGIN_ARRAY) {
            throw new CheckpointException(what + " must be an array of integers but is " + reader.peek());
        }
        long[] out = new long[max];
        int n = 0;
        reader.beginArray();
        while (reader.hasNext()) {
            if (n == max) {
                throw new CheckpointException(what + " has more than " + max + " elements; at most " + max
                        + " are supported: the header is corrupt or malicious");
            }
            if (reader.peek() != JsonToken.NUMBER) {
                throw new CheckpointException(what + "[" + n + "] must be a non-negative integer but is "
                        + reader.peek());
            }
            out[n] = nonNegativeLong(reader.nextString(), what + "[" + n + "]");
            n++;
        }
        reader.endArray();
        return Arrays.copyOf(out, n);
    }

    /** The largest value a shape dimension or data offset may have (2^62). */
    private static final BigDecimal MAX_LONG_VALUE = BigDecimal.valueOf(1L << 62);

    private static long nonNegativeLong(String text, String what) {
        if (text.length() > 40) {
            throw new CheckpointException(what + " has " + text.length() + " digits: the header is corrupt or malicious");
        }
        BigDecimal v;
        try {
            v = new BigDecimal(text);
        } catch (NumberFormatException ex) {
            throw new CheckpointException(what + " must be a non-negative integer but is " + text, ex);
        }
        // compared before any conversion: 429E49672964 is short, but as an integer it has 50 million digits
        if (v.signum() < 0 || v.compareTo(MAX_LONG_VALUE) > 0) {
            throw new CheckpointException(what + " is " + text + ", outside 0.." + MAX_LONG_VALUE
                    + ": the header is corrupt or malicious");
        }
        try {
            return v.longValueExact();
        } catch (ArithmeticException ex) {
            throw new CheckpointException(what + " must be a non-negative integer but is " + text, ex);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file) {
        try {
            long pos = position;
            while (buf.hasRemaining()) {
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new CheckpointException("unexpected end of " + file + " at byte " + pos);
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + file + " at byte " + position + ": " + e.getMessage(), e);
        }
    }

    /**
     * The file this reader reads.
     *
     * @return the path
     */
    public Path file() {
        return file;
    }

    /**
     * The tensors in header order.
     *
     * @return name → info, unmodifiable
     */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * The {@code __metadata__} entries.
     *
     * @return key → value, unmodifiable (empty if absent)
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Looks a tensor up.
     *
     * @param name the tensor name
     * @return its info
     * @throws CheckpointException if absent
     */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException("tensor '" + name + "' is not in " + file + "; it has "
                    + Checkpoint.similarNames(name, tensors.keySet()));
        }
        return t;
    }

    /**
     * Maps a tensor's bytes read-only, little-endian.
     *
     * @param info a tensor of this file, at most 2 GB
     * @return the mapped bytes
     * @throws CheckpointException if the tensor is larger than 2 GB or mapping fails
     */
    public ByteBuffer map(TensorInfo info) {
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new CheckpointException("tensor '" + info.name() + "' in " + file + " has " + info.byteLength()
                    + " bytes, more than one mapping holds; use readFloats");
        }
        return mapRange(info.offset(), info.byteLength());
    }

    /**
     * Reads part of a tensor's raw bytes with a positional read (no memory mapping, so the bytes count
     * toward the page cache only, not toward the process's resident memory).
     *
     * @param info a tensor of this file
     * @param byteOffset the first byte, relative to the tensor's start
     * @param dst receives {@code dst.remaining()} bytes; must not run past the tensor's end
     * @throws CheckpointException if the range leaves the tensor or the file cannot be read
     */
    public void readBytes(TensorInfo info, long byteOffset, ByteBuffer dst) {
        long n = dst.remaining();
        if (byteOffset < 0 || byteOffset + n > info.byteLength()) {
            throw new CheckpointException("bytes " + byteOffset + ".." + (byteOffset + n) + " leave tensor '"
                    + info.name() + "' (" + info.byteLength() + " bytes) in " + file);
        }
        readFully(channel, dst, info.offset() + byteOffset, file);
    }

    private ByteBuffer mapRange(long offset, long length) {
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, offset, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException("cannot memory-map bytes " + offset + ".." + (offset + length) + " of " + file
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Converts a float tensor's elements {@code [first, first + count)} to float32 into {@code dst}.
     *
     * @param info a float tensor of this file (F64, F32, F16 or BF16)
     * @param first the first element
     * @param count the number of elements
     * @param dst receives {@code count} floats at its position
     * @throws CheckpointException if the dtype is not a float type
     */
    public void readFloats(TensorInfo info, long first, long count, FloatBuffer dst) {
        SafetensorsDtype dtype = info.type();
        if (!dtype.isFloat()) {
            throw new CheckpointException("tensor '" + info.name() + "' in " + file + " has dtype " + dtype
                    + ", which is not a float type; read it with loadRaw/readLongs");
        }
        int es = dtype.byteSize();
        long elemsPerChunk = CHUNK_BYTES / es;
        long done = 0;
        while (done < count) {
            long n = Math.min(elemsPerChunk, count - done);
            ByteBuffer src = mapRange(info.offset() + (first + done) * es, n * es);
            DtypeConversion.toFloat(src, dtype, dst, (int) n);
            done += n;
        }
    }

    /**
     * Reads a whole float tensor into a heap array (for small tensors).
     *
     * @param name the tensor
     * @return its values as float32
     * @throws CheckpointException if absent, not a float type, or larger than an array
     */
    public float[] readFloats(String name) {
        TensorInfo info = info(name);
        if (info.numel() > Integer.MAX_VALUE - 8) {
            throw new CheckpointException("tensor '" + name + "' has " + info.numel() + " elements, too many for a "
                    + "Java array; load it as an NDArray instead");
        }
        float[] out = new float[(int) info.numel()];
        readFloats(info, 0, out.length, FloatBuffer.wrap(out));
        return out;
    }

    /**
     * Reads a whole integer tensor (I64, I32, I16, I8, U8, U16, U32, BOOL) widened to long.
     *
     * @param name the tensor
     * @return its values
     * @throws CheckpointException if absent, a float type, or too large
     */
    public long[] readLongs(String name) {
        TensorInfo info = info(name);
        if (info.numel() > Integer.MAX_VALUE - 8) {
            throw new CheckpointException("tensor '" + name + "' is too large for a Java array");
        }
        int n = (int) info.numel();
        ByteBuffer b = map(info);
        // one reader per integer dtype: element i, sign- or zero-extended as the dtype says
        IntToLongFunction element = switch (info.type()) {
            case I64, U64 -> i -> b.getLong(i * 8);
            case I32 -> i -> b.getInt(i * 4);
            case U32 -> i -> Integer.toUnsignedLong(b.getInt(i * 4));
            case I16 -> i -> b.getShort(i * 2);
            case U16 -> i -> Short.toUnsignedInt(b.getShort(i * 2));
            case I8 -> i -> b.get(i);
            case U8, BOOL -> i -> Byte.toUnsignedInt(b.get(i));
            default -> throw new CheckpointException("tensor '" + name + "' in " + file + " has dtype " + info.dtype()
                    + ", not an integer type; read it with readFloats");
        };
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = element.applyAsLong(i);
        }
        return out;
    }

    /** Closes the file; mapped buffers already handed out stay valid until collected. */
    @Override
    public void close() {
        Closeables.closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "SafetensorsReader[" + file + ", " + tensors.size() + " tensors, data at " + dataStart + "]";
    }
}
