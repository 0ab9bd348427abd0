package org.vlalign.defaultmodel;

import com.google.common.io.MoreFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.CheckpointException;
import org.vlalign.VlModel;

/**
 * vlalign's embedded default model: a small vision-language model that vlalign trains itself, with its own
 * code and the reference system's method, on a synthetic world of coloured shapes, so that asking and
 * searching work on a fresh machine with no download.
 *
 * <p>It is a composition folder ({@code model_type} {@code vlalign-composition}): a BLIP-2-style retrieval
 * checkpoint (ViT + Q-Former trained with the image-text contrastive loss), a Llama checkpoint pre-trained on
 * the world's text, and a linear adaptor trained in two stages (captions with an empty query, then
 * instructions) with both frozen, joined by the InstructBLIP prompt template. It understands 64×64 pictures
 * of one to four shapes (circle, square, triangle, ... in eight colours) and answers questions about their
 * colour, shape, count, position, existence and relationships; it knows nothing else. The folder's
 * {@code README.md} holds the command, seeds, data sizes and held-out metrics that produced it.
 *
 * <pre>{@code
 * try (VlModel model = DefaultModel.load()) {
 *     Path image = DefaultModel.sampleImages().get(0);
 *     System.out.println(model.ask(ImageInput.of(image), "what colour is the circle?").text());
 * }
 * }</pre>
 *
 * <p>The weights ship inside this jar. The first call extracts them (a few MB, checked against the SHA-256
 * sums of {@code MANIFEST.tsv}) to {@code $VLALIGN_CACHE} or the {@code vlalign.cache} system property or
 * {@code ~/.cache/vlalign}, under a folder named after the manifest's digest, and reuses that copy afterwards.
 * Extraction goes to a temporary folder that is renamed into place, under a file lock, so concurrent threads
 * and processes see either no folder or a complete one.
 *
 * <p>Thread-safe: all methods may be called from any thread.
 *
 * @since 0.1.0
 */
public final class DefaultModel {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultModel.class);
    private static final String ROOT = "/org/vlalign/defaultmodel/";
    private static final String MANIFEST = "MANIFEST.tsv";
    private static final String SAMPLE_IMAGES = "samples/images";

    private static Path extracted; // guarded by DefaultModel.class

    private DefaultModel() {}

    /**
     * Loads the default model (ask and search).
     *
     * @return the model, which the caller must close
     * @throws CheckpointException if the bundled files cannot be extracted or are damaged
     */
    public static VlModel load() {
        return VlModel.load(folder());
    }

    /**
     * The extracted model folder, which {@link VlModel#load(Path)} and the command line's {@code --model}
     * accept.
     *
     * @return the folder
     * @throws CheckpointException if the bundled files cannot be extracted or are damaged
     */
    public static synchronized Path folder() {
        if (extracted == null || !Files.isRegularFile(extracted.resolve(MANIFEST))) {
            extracted = extract(cacheRoot());
        }
        return extracted;
    }

    /**
     * The bundled sample images: held-out scenes of the world the model was trained on, which it never saw.
     * Their folder's parent also holds their ground truth ({@code captions.jsonl}, {@code instructions.jsonl},
     * {@code captions_karpathy.json}).
     *
     * @return the PNG files, sorted by name
     * @throws CheckpointException if the bundled files cannot be extracted
     */
    public static List<Path> sampleImages() {
        Path dir = folder().resolve(SAMPLE_IMAGES);
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".png")).sorted().toList();
        } catch (IOException e) {
            throw new CheckpointException("cannot list the default model's sample images in " + dir, e);
        }
    }

    /** The folder holding the extracted default models ({@code default-model-<digest>} folders). */
    static Path cacheRoot() {
        String configured = System.getProperty("vlalign.cache", System.getenv("VLALIGN_CACHE"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "vlalign");
    }

    /**
     * Extracts the bundled files under {@code cache}, or returns the complete copy already there. Synchronized
     * because a file lock excludes other processes only: a second thread of this one would get an
     * {@code OverlappingFileLockException}.
     */
    static synchronized Path extract(Path cache) {
        byte[] manifestBytes = resource(MANIFEST);
        List<Entry> entries = parseManifest(manifestBytes);
        String digest = HexFormat.of().formatHex(sha256().digest(manifestBytes)).substring(0, 16);
        Path target = cache.resolve("default-model-" + digest);
        if (Files.isRegularFile(target.resolve(MANIFEST))) {
            return target;
        }
        try {
            Files.createDirectories(cache);
            try (FileChannel lockFile = FileChannel.open(cache.resolve(".default-model.lock"),
                            StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = lockFile.lock()) {
                if (Files.isRegularFile(target.resolve(MANIFEST))) {
                    return target; // another process finished while this one waited
                }
                Path tmp = Files.createTempDirectory(cache, ".default-model-");
                try {
                    for (Entry e : entries) {
                        copyVerified(e, tmp.resolve(e.path()));
                    }
                    Files.write(tmp.resolve(MANIFEST), manifestBytes); // last: its presence means complete
                    deleteRecursively(target); // a partial copy from an older, crashed extraction
                    try {
                        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(tmp, target);
                    }
                    LOG.info("extracted the default model ({} files) to {}", entries.size(), target);
                    return target;
                } finally {
                    deleteRecursively(tmp);
                }
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot extract the default model to " + target + ": " + e.getMessage()
                    + ". Set VLALIGN_CACHE (or -Dvlalign.cache) to a writable folder.", e);
        }
    }

    private record Entry(String sha256, long size, String path) {}

    private static List<Entry> parseManifest(byte[] bytes) {
        List<Entry> out = new ArrayList<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length != 3 || f[2].contains("..") || f[2].startsWith("/")) {
                throw new CheckpointException("the default model's " + MANIFEST + " has a malformed line '" + line
                        + "'; the vlalign-default-model jar is damaged");
            }
            out.add(new Entry(f[0], Long.parseLong(f[1]), f[2]));
        }
        return out;
    }

    private static void copyVerified(Entry e, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        MessageDigest md = sha256();
        try (InputStream in = open(e.path());
                OutputStream out = new DigestOutputStream(Files.newOutputStream(file), md)) {
            long n = in.transferTo(out);
            if (n != e.size()) {
                throw new CheckpointException("the default model's " + e.path() + " has " + n + " bytes but "
                        + MANIFEST + " says " + e.size() + "; the vlalign-default-model jar is damaged");
            }
        }
        String actual = HexFormat.of().formatHex(md.digest());
        if (!actual.equals(e.sha256())) {
            throw new CheckpointException("the default model's " + e.path() + " has SHA-256 " + actual + " but "
                    + MANIFEST + " says " + e.sha256() + "; the vlalign-default-model jar is damaged");
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = open(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream open(String name) {
        InputStream in = DefaultModel.class.getResourceAsStream(ROOT + name);
        if (in == null) {
            throw new CheckpointException("the default model's " + name + " is not on the class path (" + ROOT
                    + name + "); put the vlalign-default-model jar on the class path");
        }
        return in;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            MoreFiles.deleteRecursively(dir);
        }
    }
}
