package org.vlalign.core.index;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.UnsupportedModelException;
import org.vlalign.spi.ImageIndexProvider;

/**
 * Opens an image index by the name of its implementation, behind the common {@link ImageIndex}
 * interface: {@value #EXACT} ({@link ExactImageIndex}, always available) or any {@link
 * ImageIndexProvider} on the class path ({@code hnsw} from {@code vlalign-lucene}).
 *
 * <p>Stateless and thread-safe.
 *
 * <pre>{@code
 * ImageIndex index = ImageIndexes.open(Path.of("photos.idx"), space, "exact");
 * }</pre>
 *
 * @since 0.1.0
 */
public final class ImageIndexes {
    /** The name of the exact index. */
    public static final String EXACT = "exact";

    private ImageIndexes() {}

    /**
     * Opens or creates an index in a folder.
     *
     * @param dir the folder
     * @param space the space of all vectors; must match the stored space of an existing index
     * @param kind the implementation's name, such as {@value #EXACT} or {@code hnsw}
     * @return the index
     * @throws UnsupportedModelException if no implementation has that name; the message lists the names
     */
    public static ImageIndex open(Path dir, EmbeddingSpace space, String kind) {
        return provider(kind).open(dir, space);
    }

    /**
     * Opens the last commit of an index folder for searching only, without the writer's lock.
     *
     * @param dir the folder
     * @param space the space of all vectors; must match the stored space
     * @param kind the implementation's name, such as {@value #EXACT} or {@code hnsw}
     * @return the index; writes throw
     * @throws UnsupportedModelException if no implementation has that name
     * @since 0.2.0
     */
    public static ImageIndex openReadOnly(Path dir, EmbeddingSpace space, String kind) {
        return provider(kind).openReadOnly(dir, space);
    }

    /**
     * Creates an index held in memory.
     *
     * @param space the space of all vectors
     * @param kind the implementation's name
     * @return the index
     * @throws UnsupportedModelException if no implementation has that name
     */
    public static ImageIndex inMemory(EmbeddingSpace space, String kind) {
        return provider(kind).inMemory(space);
    }

    /**
     * Every implementation on the class path, the exact index first.
     *
     * @return the providers
     */
    public static List<ImageIndexProvider> providers() {
        List<ImageIndexProvider> out = new ArrayList<>();
        out.add(new ExactProvider());
        for (ImageIndexProvider p : ServiceLoader.load(ImageIndexProvider.class)) {
            if (!p.name().equals(EXACT)) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * The implementation with a name.
     *
     * @param kind the name, case-insensitive
     * @return the provider
     * @throws UnsupportedModelException if none has that name
     */
    public static ImageIndexProvider provider(String kind) {
        String k = kind == null ? "" : kind.strip().toLowerCase(Locale.ROOT);
        List<String> names = new ArrayList<>();
        for (ImageIndexProvider p : providers()) {
            if (p.name().equals(k)) {
                return p;
            }
            names.add(p.name());
        }
        throw new UnsupportedModelException("no image index is called '" + kind + "'; available: " + names
                + (names.contains("hnsw") ? "" : " (add org.vlalign:vlalign-lucene for 'hnsw')"));
    }

    private static final class ExactProvider implements ImageIndexProvider {
        @Override
        public String name() {
            return EXACT;
        }

        @Override
        public String description() {
            return "exact scan, best up to a few million vectors";
        }

        @Override
        public ImageIndex open(Path dir, EmbeddingSpace space) {
            return ExactImageIndex.open(dir, space);
        }

        @Override
        public ImageIndex openReadOnly(Path dir, EmbeddingSpace space) {
            return ExactImageIndex.openReadOnly(dir, space);
        }

        @Override
        public ImageIndex inMemory(EmbeddingSpace space) {
            return ExactImageIndex.inMemory(space);
        }
    }
}
