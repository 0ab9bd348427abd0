package org.vlalign.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.function.Supplier;
import org.vlalign.Features;
import org.vlalign.ImageInput;

/**
 * The adapted features of recent images, so that a second question about the same image (or a chat's next
 * turn) does not run the vision tower again. Keyed by the image and the extractor's instruction (an
 * instruction-aware extractor such as InstructBLIP's gives other features for another question, so those
 * are computed again): an image file by its path, size and modification time, encoded bytes by their
 * content. A {@link java.awt.image.BufferedImage} input is never cached (it may change between calls).
 * Least recently used entries are dropped to stay within the byte bound.
 *
 * <p>Thread-safe: every method synchronises on the cache; {@link Features} are immutable. Two threads
 * missing on the same image at once both compute it.
 */
final class FeatureCache {
    private final long maxBytes;
    private final LinkedHashMap<Key, Features> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits;

    /** An image's identity and the instruction its features were extracted with. */
    private record Key(ImageInput image, long size, long modified, String instruction) {}

    /**
     * An empty cache.
     *
     * @param maxBytes the most bytes of features kept; 0 keeps none
     */
    FeatureCache(long maxBytes) {
        this.maxBytes = Math.max(0, maxBytes);
    }

    /**
     * The features of an image, computed by {@code compute} unless kept.
     *
     * @param image the image
     * @param instruction the extractor's instruction
     * @param compute computes them
     * @return the features
     */
    Features get(ImageInput image, String instruction, Supplier<Features> compute) {
        Key key = maxBytes == 0 ? null : key(image, instruction);
        if (key == null) {
            return compute.get();
        }
        synchronized (this) {
            Features kept = entries.get(key);
            if (kept != null) {
                hits++;
                return kept;
            }
        }
        Features f = compute.get();
        long size = 4L * f.rows() * f.cols();
        synchronized (this) {
            if (size <= maxBytes && entries.put(key, f) == null) {
                bytes += size;
                Iterator<Features> it = entries.values().iterator();
                while (bytes > maxBytes && it.hasNext()) {
                    Features old = it.next();
                    bytes -= 4L * old.rows() * old.cols();
                    it.remove();
                }
            }
        }
        return f;
    }

    /**
     * Images answered from the cache so far.
     *
     * @return hits
     */
    synchronized long hits() {
        return hits;
    }

    private static Key key(ImageInput image, String instruction) {
        Optional<Path> path = image.path();
        if (path.isPresent()) {
            try {
                BasicFileAttributes a = Files.readAttributes(path.get(), BasicFileAttributes.class);
                return new Key(image, a.size(), a.lastModifiedTime().toMillis(), instruction);
            } catch (IOException e) {
                return null; // the extractor reports the unreadable file
            }
        }
        return image.encoded().isPresent() ? new Key(image, -1, -1, instruction) : null;
    }
}
