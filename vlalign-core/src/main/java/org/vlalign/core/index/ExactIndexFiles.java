package org.vlalign.core.index;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.vlalign.EmbeddingSpace;
import org.vlalign.IndexCorruptedException;
import org.vlalign.VlalignException;

/**
 * The on-disk format of {@link ExactImageIndex}: immutable segment files plus one manifest that names
 * the committed generation.
 *
 * <p>All numbers are little-endian. Every file starts with a magic number and a format version and
 * ends with a CRC32C of everything before it.
 *
 * <pre>
 * segment  seg_&lt;n&gt;.vseg
 *   int magic 'VSEG', int version, int dim, int count, int rows, int metaBytes
 *   metaBytes bytes: per image  str id, int rowCount, int entries, entries × (str key, str value)
 *   rows × dim float32 vectors
 *   int crc32c, int magic 'VEND'
 * manifest MANIFEST
 *   int magic 'VMAN', int version, long generation, long nextSegment,
 *   str family, str fingerprint, str preprocessing, int dimension,
 *   int segments, per segment  str name, long length, int crc, int count, int words, words × long
 *   (deletion bits)
 *   int crc32c, int magic 'VEND'
 * str = int byteLength + UTF-8 bytes
 * </pre>
 *
 * <p>A commit writes new files under temporary names, forces them to disk, renames them, then
 * atomically replaces {@code MANIFEST} and forces the directory. Stateless and thread-safe.
 *
 * @since 0.1.0
 */
final class ExactIndexFiles {
    static final String MANIFEST = "MANIFEST";
    static final String TMP_SUFFIX = ".tmp";
    static final String SEGMENT_PREFIX = "seg_";
    static final String SEGMENT_SUFFIX = ".vseg";
    static final int VERSION = 1;
    private static final int SEGMENT_MAGIC = 0x47455356; // "VSEG" little-endian
    private static final int MANIFEST_MAGIC = 0x4E414D56; // "VMAN"
    private static final int END_MAGIC = 0x444E4556; // "VEND"
    private static final int SEGMENT_HEADER = 24;
    private static final int FOOTER = 8;
    /** The largest manifest read: about a million segments' worth of entries. */
    static final int MAX_MANIFEST_BYTES = 64 << 20;
    private static final String FIX =
            " Restore the index folder from a backup, or delete it and index the images again.";

    private ExactIndexFiles() {}

    /** A committed segment as the manifest lists it. */
    record SegmentRef(String name, long length, int crc, int count, long[] deletedWords) {}

    /** The content of a manifest. */
    record Manifest(
            long generation, long nextSegment, EmbeddingSpace space, List<SegmentRef> segments) {}

    static String segmentName(long n) {
        return SEGMENT_PREFIX + n + SEGMENT_SUFFIX;
    }

    /** Writes a sealed segment to {@code dir/name} through a temporary file; sets its file fields. */
    static void writeSegment(Path dir, String name, ExactSegment seg) throws IOException {
        Bytes meta = new Bytes(64 * seg.count + 64);
        for (int i = 0; i < seg.count; i++) {
            meta.str(seg.ids[i]);
            meta.i32(seg.rowStart[i + 1] - seg.rowStart[i]);
            Map<String, String> m = seg.metadata[i];
            meta.i32(m.size());
            for (Map.Entry<String, String> e : m.entrySet()) {
                meta.str(e.getKey());
                meta.str(e.getValue());
            }
        }
        Path tmp = dir.resolve(name + TMP_SUFFIX);
        CRC32C crc = new CRC32C();
        long length = 0;
        try (FileChannel ch = openEmpty(tmp)) {
            ByteBuffer head = ByteBuffer.allocate(SEGMENT_HEADER).order(ByteOrder.LITTLE_ENDIAN);
            head.putInt(SEGMENT_MAGIC).putInt(VERSION).putInt(seg.dim).putInt(seg.count);
            head.putInt(seg.rows).putInt(meta.size).flip();
            length += writeAll(ch, head, crc);
            length += writeAll(ch, ByteBuffer.wrap(meta.buf, 0, meta.size), crc);
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            int total = seg.rows * seg.dim;
            for (int i = 0; i < total; ) {
                int n = Math.min(total - i, chunk.capacity() / Float.BYTES);
                chunk.clear();
                chunk.asFloatBuffer().put(seg.vectors, i, n);
                chunk.limit(n * Float.BYTES);
                length += writeAll(ch, chunk, crc);
                i += n;
            }
            ByteBuffer foot = ByteBuffer.allocate(FOOTER).order(ByteOrder.LITTLE_ENDIAN);
            int value = (int) crc.getValue();
            foot.putInt(value).putInt(END_MAGIC).flip();
            length += writeAll(ch, foot, null);
            ch.force(true);
            seg.fileCrc = value;
        }
        moveAtomically(tmp, dir.resolve(name));
        seg.fileName = name;
        seg.fileLength = length;
    }

    /** Reads and verifies a segment file against what the manifest says about it. */
    static ExactSegment readSegment(Path dir, SegmentRef ref, int dim) {
        Path file = dir.resolve(ref.name());
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size != ref.length()) {
                throw corrupt(
                        file,
                        "length is " + size + " bytes but the manifest recorded " + ref.length()
                                + " (the file was truncated or overwritten)");
            }
            if (size < SEGMENT_HEADER + FOOTER || size > Integer.MAX_VALUE) {
                throw corrupt(file, "length " + size + " is outside the valid range");
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            map.order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer b = map;
            checkMagicAndVersion(file, b.getInt(0), b.getInt(4), SEGMENT_MAGIC);
            verifyChecksum(file, b, (int) size);
            if (b.getInt((int) size - 4) != END_MAGIC) {
                throw corrupt(file, "the end marker is missing at offset " + (size - 4));
            }
            int fileCrc = b.getInt((int) size - FOOTER);
            if (fileCrc != ref.crc()) {
                throw corrupt(
                        file,
                        String.format(
                                "its checksum 0x%08x is not the 0x%08x the manifest recorded (the file was"
                                        + " replaced, perhaps by another segment of the same size)",
                                fileCrc, ref.crc()));
            }
            int fileDim = b.getInt(8);
            int count = b.getInt(12);
            int rows = b.getInt(16);
            int metaBytes = b.getInt(20);
            if (fileDim != dim) {
                throw corrupt(file, "vectors have width " + fileDim + " but the index has " + dim);
            }
            if (count != ref.count()) {
                throw corrupt(
                        file,
                        "holds " + count + " images but the manifest recorded " + ref.count());
            }
            long expected = SEGMENT_HEADER + (long) metaBytes + (long) rows * dim * Float.BYTES + FOOTER;
            if (count < 0 || rows < 0 || metaBytes < 0 || expected != size) {
                throw corrupt(
                        file,
                        "header (count " + count + ", rows " + rows + ", metadata bytes " + metaBytes
                                + ") implies " + expected + " bytes but the file has " + size);
            }
            // every image takes at least one row and 12 metadata bytes: bound the count before sizing arrays by it
            if (count > rows || count > metaBytes / 12) {
                throw corrupt(
                        file,
                        "header claims " + count + " images but " + rows + " rows and " + metaBytes
                                + " metadata bytes cannot hold that many");
            }
            ExactSegment seg = new ExactSegment(dim, count, 0);
            b.position(SEGMENT_HEADER);
            ByteBuffer metaView = b.slice(SEGMENT_HEADER, metaBytes).order(ByteOrder.LITTLE_ENDIAN);
            int vecOffset = SEGMENT_HEADER + metaBytes;
            float[] vectors = new float[rows * dim];
            b.slice(vecOffset, rows * dim * Float.BYTES)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer()
                    .get(vectors);
            seg.vectors = vectors;
            int row = 0;
            for (int i = 0; i < count; i++) {
                String id = str(metaView);
                int n = metaView.getInt();
                int entries = metaView.getInt();
                if (n < 1 || row + (long) n > rows || entries < 0) {
                    throw corrupt(file, "image " + i + " (" + id + ") has an invalid row count " + n);
                }
                Map<String, String> m = new LinkedHashMap<>();
                for (int e = 0; e < entries; e++) {
                    String k = str(metaView);
                    m.put(k, str(metaView));
                }
                seg.ids[i] = id;
                seg.metadata[i] = Map.copyOf(m);
                row += n;
                seg.rowStart[i + 1] = row;
            }
            if (row != rows) {
                throw corrupt(file, "image row counts sum to " + row + " but the header says " + rows);
            }
            seg.count = count;
            seg.rows = rows;
            BitSet del = BitSet.valueOf(ref.deletedWords());
            if (del.length() > count) {
                throw corrupt(
                        dir.resolve(MANIFEST),
                        "deletion bits of " + ref.name() + " go past its " + count + " images");
            }
            seg.deleted.or(del);
            seg.deletedCount = del.cardinality();
            seg.sealed = true;
            seg.fileName = ref.name();
            seg.fileLength = size;
            seg.fileCrc = ref.crc();
            return seg;
        } catch (NoSuchFileException e) {
            throw new IndexCorruptedException(
                    "Segment file " + file + " named by the manifest is missing." + FIX, e);
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IndexCorruptedException(
                    "Segment file " + file + " is damaged: its metadata block cannot be parsed ("
                            + e + ")." + FIX, e);
        } catch (IOException e) {
            throw new VlalignException("Could not read segment file " + file + ": " + e.getMessage()
                    + ". Check that the index folder is readable.", e);
        }
    }

    /** Atomically replaces the manifest and forces the directory. */
    static void writeManifest(Path dir, Manifest m) throws IOException {
        Bytes b = new Bytes(256);
        b.i32(MANIFEST_MAGIC);
        b.i32(VERSION);
        b.i64(m.generation());
        b.i64(m.nextSegment());
        b.str(m.space().family());
        b.str(m.space().fingerprint());
        b.str(m.space().preprocessing());
        b.i32(m.space().dimension());
        b.i32(m.segments().size());
        for (SegmentRef s : m.segments()) {
            b.str(s.name());
            b.i64(s.length());
            b.i32(s.crc());
            b.i32(s.count());
            b.i32(s.deletedWords().length);
            for (long w : s.deletedWords()) {
                b.i64(w);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(b.buf, 0, b.size);
        b.i32((int) crc.getValue());
        b.i32(END_MAGIC);
        Path tmp = dir.resolve(MANIFEST + TMP_SUFFIX);
        try (FileChannel ch = openEmpty(tmp)) {
            writeAll(ch, ByteBuffer.wrap(b.buf, 0, b.size), null);
            ch.force(true);
        }
        moveAtomically(tmp, dir.resolve(MANIFEST));
        forceDirectory(dir);
    }

    /** Reads and verifies the manifest, or returns null if there is none. */
    static Manifest readManifest(Path dir) {
        Path file = dir.resolve(MANIFEST);
        byte[] bytes;
        try (java.io.InputStream in = Files.newInputStream(file)) {
            // bounded: a manifest linked to a device or replaced by a huge file must not exhaust the heap
            bytes = in.readNBytes(MAX_MANIFEST_BYTES + 1);
            if (bytes.length > MAX_MANIFEST_BYTES) {
                throw corrupt(file, "it is larger than " + MAX_MANIFEST_BYTES + " bytes");
            }
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new VlalignException("Could not read " + file + ": " + e.getMessage()
                    + ". Check that the index folder is readable.", e);
        }
        if (bytes.length < 8 + FOOTER) {
            throw corrupt(file, "length " + bytes.length + " bytes is too short for a manifest");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        checkMagicAndVersion(file, b.getInt(0), b.getInt(4), MANIFEST_MAGIC);
        verifyChecksum(file, b, bytes.length);
        if (b.getInt(bytes.length - 4) != END_MAGIC) {
            throw corrupt(file, "the end marker is missing at offset " + (bytes.length - 4));
        }
        try {
            b.position(8);
            b.limit(bytes.length - FOOTER);
            long generation = b.getLong();
            long next = b.getLong();
            EmbeddingSpace space = new EmbeddingSpace(str(b), str(b), str(b), b.getInt());
            int n = b.getInt();
            // a segment entry takes at least 24 bytes: bound the count before sizing a list by it
            if (n < 0 || n > b.remaining() / 24) {
                throw corrupt(file, "segment count " + n + " does not fit its " + b.remaining() + " bytes");
            }
            List<SegmentRef> segs = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String name = str(b);
                if (!name.startsWith(SEGMENT_PREFIX) || name.contains("/") || name.contains("\\")) {
                    throw corrupt(file, "segment name '" + name + "' is not valid");
                }
                long length = b.getLong();
                int crc = b.getInt();
                int count = b.getInt();
                int words = b.getInt();
                if (words < 0 || words > b.remaining() / Long.BYTES) {
                    throw corrupt(file, "deletion bit count " + words + " is not valid");
                }
                long[] w = new long[words];
                for (int j = 0; j < words; j++) {
                    w[j] = b.getLong();
                }
                segs.add(new SegmentRef(name, length, crc, count, w));
            }
            if (b.hasRemaining()) {
                throw corrupt(file, b.remaining() + " unexpected trailing bytes");
            }
            return new Manifest(generation, next, space, List.copyOf(segs));
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new IndexCorruptedException(
                    "Manifest " + file + " is damaged: it cannot be parsed (" + e + ")." + FIX, e);
        }
    }

    /** Forces a directory's entries (renames, deletes) to disk where the platform allows it. */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a directory as a channel; NTFS renames are journaled there.
            if (!System.getProperty("os.name", "").toLowerCase().startsWith("win")) {
                throw e instanceof IOException io ? io : new IOException(e);
            }
        }
    }

    private static void moveAtomically(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(
                    "The file system of " + to.getParent() + " cannot rename atomically, which the"
                            + " index needs for crash-safe commits; put the index on a local disk", e);
        }
    }

    private static void checkMagicAndVersion(Path file, int magic, int version, int expected) {
        if (magic != expected) {
            throw corrupt(
                    file,
                    String.format(
                            "magic number is 0x%08x but 0x%08x was expected (not an index file, or"
                                    + " its start was overwritten)", magic, expected));
        }
        if (version != VERSION) {
            throw new IndexCorruptedException(
                    "Index file " + file + " has format version " + version + " but this vlalign"
                            + " reads version " + VERSION + ". Open it with the vlalign version that"
                            + " wrote it, or index the images again.");
        }
    }

    private static void verifyChecksum(Path file, ByteBuffer b, int size) {
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(0).limit(size - FOOTER));
        int computed = (int) crc.getValue();
        int stored = b.getInt(size - FOOTER);
        if (computed != stored) {
            throw corrupt(
                    file,
                    String.format(
                            "CRC32C checksum mismatch: stored 0x%08x, computed 0x%08x over %d bytes",
                            stored, computed, size - FOOTER));
        }
    }

    private static IndexCorruptedException corrupt(Path file, String what) {
        return new IndexCorruptedException("Index file " + file + " is damaged: " + what + "." + FIX);
    }

    private static long writeAll(FileChannel ch, ByteBuffer buf, CRC32C crc) throws IOException {
        if (crc != null) {
            crc.update(buf.duplicate());
        }
        long n = buf.remaining();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        return n;
    }

    private static String str(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("string length " + n + " at offset " + (b.position() - 4));
        }
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    /** A little-endian growable byte buffer. */
    private static final class Bytes {
        byte[] buf;
        int size;

        Bytes(int capacity) {
            buf = new byte[Math.max(16, capacity)];
        }

        private void ensure(int n) {
            if (size + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(size + n, buf.length * 2));
            }
        }

        void i32(int v) {
            ensure(4);
            buf[size++] = (byte) v;
            buf[size++] = (byte) (v >>> 8);
            buf[size++] = (byte) (v >>> 16);
            buf[size++] = (byte) (v >>> 24);
        }

        void i64(long v) {
            i32((int) v);
            i32((int) (v >>> 32));
        }

        void str(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            i32(bytes.length);
            ensure(bytes.length);
            System.arraycopy(bytes, 0, buf, size, bytes.length);
            size += bytes.length;
        }
    }

    /** Opens a file for writing from its start, creating it or emptying what it held. */
    private static FileChannel openEmpty(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE);
    }
}
