package org.vlalign.lucene;

import java.nio.file.Path;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.spi.ImageIndexProvider;

/**
 * Provides {@link LuceneHnswImageIndex} under the name {@code hnsw}. Stateless and thread-safe.
 *
 * @since 0.2.0
 */
public final class LuceneHnswIndexProvider implements ImageIndexProvider {
    /** The name of this index kind. */
    public static final String NAME = "hnsw";

    /** Creates the provider (for {@link java.util.ServiceLoader}). */
    public LuceneHnswIndexProvider() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "approximate on-disk Lucene HNSW search, for millions of images";
    }

    @Override
    public ImageIndex open(Path dir, EmbeddingSpace space) {
        return LuceneHnswImageIndex.open(dir, space);
    }

    @Override
    public ImageIndex openReadOnly(Path dir, EmbeddingSpace space) {
        return LuceneHnswImageIndex.openReadOnly(dir, space);
    }

    @Override
    public ImageIndex inMemory(EmbeddingSpace space) {
        return LuceneHnswImageIndex.inMemory(space);
    }
}
