package org.vlalign.train;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.CheckpointException;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlalignException;
import org.vlalign.core.train.FeatureSource;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.core.checkpoint.SafetensorsReader;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/**
 * The frozen feature extractor's output, computed once per image and kept on disk, so that training
 * epochs never re-run the vision side.
 *
 * <p>One small safetensors file per entry, {@code <dir>/<sha256>.safetensors}, holding the tensor
 * {@code features} {@code (tokens, dim)} and metadata naming the image, the extractor fingerprint and the
 * instruction. The hash covers the fingerprint, the absolute image path and, for instruction-aware
 * extractors ({@link FeatureExtractor#acceptsInstruction()}), the example's query. A file whose metadata
 * does not match, or that cannot be read, is recomputed (one WARN). Pass a fingerprint that changes with
 * the extractor weights and preprocessing, e.g. {@code Checkpoint.fingerprint()} of its folder.
 *
 * <p>Thread-safe: entries are written atomically; two threads missing the same entry both compute it.
 *
 * <pre>{@code
 * FeatureCache cache = new FeatureCache(Path.of("cache"), extractor, ckpt.fingerprint());
 * cache.precompute(examples);
 * }</pre>
 *
 * @since 0.1.0
 */
public final class FeatureCache implements FeatureSource {

    private static final Logger LOG = LoggerFactory.getLogger(FeatureCache.class);

    /** The tensor name in a cache file. */
    static final String FEATURES = "features";
    private static final String META_IMAGE = "image";
    private static final String META_FINGERPRINT = "extractor_fingerprint";
    private static final String META_INSTRUCTION = "instruction";

    private final Path dir;
    private final FeatureExtractor extractor;
    private final String fingerprint;
    private final AtomicLong computed = new AtomicLong();

    /**
     * Creates a cache.
     *
     * @param dir the cache folder (created when needed)
     * @param extractor the frozen extractor; not closed by the cache
     * @param fingerprint identifies the extractor's weights and preprocessing
     */
    public FeatureCache(Path dir, FeatureExtractor extractor, String fingerprint) {
        if (dir == null || extractor == null || fingerprint == null || fingerprint.isEmpty()) {
            throw new InvalidArgumentException("dir, extractor and a non-empty fingerprint are required");
        }
        this.dir = dir;
        this.extractor = extractor;
        this.fingerprint = fingerprint;
    }

    /**
     * How many times this cache ran the extractor.
     *
     * @return the number of computed entries
     */
    public long computedCount() {
        return computed.get();
    }

    /**
     * Computes every missing entry.
     *
     * @param examples the examples whose images to cache
     */
    public void precompute(List<TrainingExample> examples) {
        for (TrainingExample e : examples) {
            features(e);
        }
    }

    @Override
    public Features features(TrainingExample example) {
        return get(example.image(), extractor.acceptsInstruction() ? example.query() : "");
    }

    /**
     * The features of an image, from the cache or computed and stored.
     *
     * @param image the image file
     * @param instruction the instruction (ignored unless the extractor accepts one)
     * @return the features
     */
    public Features get(Path image, String instruction) {
        String instr = extractor.acceptsInstruction() ? instruction : "";
        Path abs = image.toAbsolutePath().normalize();
        Path file = fileFor(abs, instr);
        if (Files.isRegularFile(file)) {
            try (SafetensorsReader r = SafetensorsReader.open(file)) {
                Map<String, String> md = r.metadata();
                if (abs.toString().equals(md.get(META_IMAGE)) && fingerprint.equals(md.get(META_FINGERPRINT))
                        && instr.equals(md.get(META_INSTRUCTION))) {
                    long[] shape = r.info(FEATURES).shape();
                    return Features.of(r.readFloats(FEATURES), (int) shape[0], (int) shape[1]);
                }
                LOG.warn("feature cache entry {} belongs to another image or extractor; recomputing it", file);
            } catch (CheckpointException e) {
                LOG.warn("feature cache entry {} is unreadable ({}); recomputing it", file, e.getMessage());
            }
        }
        Features f = extractor.extract(ImageInput.of(abs), instr);
        computed.incrementAndGet();
        int cols = f.cols();
        int rows = f.rows();
        SafetensorsWriter.create()
                .metadata(META_IMAGE, abs.toString())
                .metadata(META_FINGERPRINT, fingerprint)
                .metadata(META_INSTRUCTION, instr)
                .addF32(FEATURES, f.data(), rows, cols)
                .write(file);
        return f.shape().length == 2 ? f : Features.of(f.data(), rows, cols);
    }

    /**
     * The file that holds an entry.
     *
     * @param image the absolute image path
     * @param instruction the instruction, empty if none
     * @return the path inside the cache folder
     */
    Path fileFor(Path image, String instruction) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(fingerprint.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(image.toString().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(instruction.getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(sha.digest()) + ".safetensors");
        } catch (NoSuchAlgorithmException e) {
            throw new VlalignException("SHA-256 is not available in this JVM", e);
        }
    }
}
