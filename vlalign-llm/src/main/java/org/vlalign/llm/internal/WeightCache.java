package org.vlalign.llm.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.WeightFormat;
import org.vlalign.core.checkpoint.Checkpoint;

/**
 * Keeps encoded weights beside a checkpoint, so the next load of the same weights in the same format reads
 * them instead of converting and quantising again (a 7B model: seconds instead of a minute).
 *
 * <p>A cache file belongs to exactly one source: its name and header carry a key over the checkpoint's
 * config and tensor headers, the size and modification time of every weights file, the key prefix, the
 * format and the LoRA adapter's files. The file is written to a temporary name and moved into place, and a
 * CRC-32C of its data is checked on every read: a stale, partial or damaged file is ignored (and rewritten),
 * never used. Files go to {@code .vlalign-cache/} in the checkpoint folder, or to
 * {@code ~/.cache/vlalign/weights/} when that folder is not writable.
 *
 * <p>Stateless and thread-safe; two processes writing the same cache each write their own temporary file.
 */
final class WeightCache {
    private static final Logger LOG = LoggerFactory.getLogger(WeightCache.class);
    private static final int MAGIC = 0x43574c56; // "VLWC" little-endian
    private static final int VERSION = 1;

    private WeightCache() {}

    /** The cache file for a source, or null when no folder can hold one. */
    static Path file(Checkpoint ckpt, String prefix, WeightFormat format, Path lora) {
        String key = key(ckpt, prefix, format, lora);
        String name = "llama-" + format.name().toLowerCase(Locale.ROOT) + "-" + key.substring(0, 24) + ".vlw";
        Path beside = ckpt.directory().resolve(".vlalign-cache");
        if (writable(beside)) {
            return beside.resolve(name);
        }
        Path home = Path.of(System.getProperty("user.home"), ".cache", "vlalign", "weights");
        return writable(home) ? home.resolve(name) : null;
    }

    private static boolean writable(Path dir) {
        try {
            Files.createDirectories(dir);
            return Files.isWritable(dir);
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    static String key(Checkpoint ckpt, String prefix, WeightFormat format, Path lora) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((ckpt.fingerprint() + "|" + prefix + "|" + format + "|v" + VERSION).getBytes(StandardCharsets.UTF_8));
            for (Path p : filesOf(ckpt.directory(), ".safetensors")) {
                md.update(stamp(p));
            }
            if (lora != null) {
                for (Path p : filesOf(lora, "")) {
                    md.update(stamp(p));
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    private static List<Path> filesOf(Path dir, String suffix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static byte[] stamp(Path p) {
        try {
            return (p.getFileName() + "|" + Files.size(p) + "|" + Files.getLastModifiedTime(p).toMillis() + "\n")
                    .getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            return p.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /**
     * Writes the matrices, atomically.
     *
     * @param file the cache file
     * @param key the source's key
     * @param matrices the matrices, in the order {@link #read} will ask for them
     */
    static void write(Path file, String key, List<Matrix> matrices) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(header(key, matrices));
            ArrayIo io = new ArrayIo(ch);
            for (Matrix m : matrices) {
                m.save(io);
            }
            ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(io.crc());
            trailer.flip();
            ch.write(trailer);
            ch.force(true);
        } catch (IOException e) {
            LOG.warn("cannot write the weight cache {} ({}); the next load converts the weights again", file,
                    e.toString());
            deleteQuietly(tmp);
            return;
        }
        try {
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.warn("cannot move the weight cache into place at {} ({})", file, e.toString());
            deleteQuietly(tmp);
        }
    }

    /**
     * Reads matrices of the expected formats and shapes.
     *
     * @param file the cache file
     * @param key the source's key
     * @param expected empty matrices of the formats and shapes to fill, in file order
     * @return true if every matrix was filled from a valid file; false if the file is absent, for another
     *     source, or damaged (then the matrices must be loaded from the checkpoint)
     */
    static boolean read(Path file, String key, List<Matrix> expected) {
        if (file == null || !Files.isRegularFile(file)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer want = header(key, expected);
            ByteBuffer got = ByteBuffer.allocate(want.remaining());
            while (got.hasRemaining() && ch.read(got) >= 0) {
                // fill
            }
            got.flip();
            if (!got.equals(want)) {
                LOG.info("weight cache {} belongs to other weights or another format; converting again", file);
                return false;
            }
            ArrayIo io = new ArrayIo(ch);
            for (Matrix m : expected) {
                m.restore(io);
            }
            ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (trailer.hasRemaining() && ch.read(trailer) >= 0) {
                // fill
            }
            trailer.flip();
            if (trailer.remaining() != 8 || trailer.getLong() != io.crc() || ch.position() != ch.size()) {
                LOG.warn("weight cache {} is damaged (checksum or length); converting again", file);
                return false;
            }
            return true;
        } catch (IOException e) {
            LOG.warn("cannot read the weight cache {} ({}); converting again", file, e.toString());
            return false;
        }
    }

    private static ByteBuffer header(String key, List<Matrix> matrices) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(16 + k.length + 12 * matrices.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putInt(k.length).put(k).putInt(matrices.size());
        for (Matrix m : matrices) {
            b.putInt(m.format().ordinal()).putInt(m.rows()).putInt(m.cols());
        }
        b.flip();
        return b;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover temporary file is harmless: it never has the cache's name
        }
    }

    /** The matrices of a model in cache order. */
    static List<Matrix> order(Matrix embed, LlamaWeights.Layer[] layers, Matrix head) {
        List<Matrix> out = new ArrayList<>();
        out.add(embed);
        for (LlamaWeights.Layer l : layers) {
            out.addAll(List.of(l.q, l.k, l.v, l.o, l.gate, l.up, l.down));
        }
        if (head != embed) {
            out.add(head);
        }
        return out;
    }
}
