package org.vlalign.core.index;

import java.nio.file.Path;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;

/**
 * Opens an image index of a chosen kind behind the common {@link ImageIndex} interface.
 *
 * <p>Stateless and thread-safe.
 *
 * <pre>{@code
 * ImageIndex index = ImageIndexes.open(Path.of("photos.idx"), space, ImageIndexes.Kind.EXACT);
 * }</pre>
 *
 * @since 0.1.0
 */
public final class ImageIndexes {
    private ImageIndexes() {}

    /**
     * The index implementations.
     *
     * @since 0.1.0
     */
    public enum Kind {
        /** {@link ExactImageIndex}: exact scan, best up to about a million vectors. */
        EXACT,
        /** {@link LuceneHnswImageIndex}: approximate HNSW search for larger collections. */
        HNSW
    }

    /**
     * Opens or creates an index in a folder.
     *
     * @param dir the folder
     * @param space the space of all vectors; must match the stored space of an existing index
     * @param kind the implementation
     * @return the index
     */
    public static ImageIndex open(Path dir, EmbeddingSpace space, Kind kind) {
        return switch (kind) {
            case EXACT -> ExactImageIndex.open(dir, space);
            case HNSW -> LuceneHnswImageIndex.open(dir, space);
        };
    }

    /**
     * Creates an index held in memory.
     *
     * @param space the space of all vectors
     * @param kind the implementation
     * @return the index
     */
    public static ImageIndex inMemory(EmbeddingSpace space, Kind kind) {
        return switch (kind) {
            case EXACT -> ExactImageIndex.inMemory(space);
            case HNSW -> LuceneHnswImageIndex.inMemory(space);
        };
    }
}
