package org.vlalign.spi;

import java.nio.file.Path;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;

/**
 * Opens {@link ImageIndex} implementations by name; found through {@link java.util.ServiceLoader}.
 *
 * <p>vlalign-core provides {@code exact}; {@code vlalign-lucene} adds {@code hnsw}. Implementations are
 * thread-safe and cheap to construct.
 *
 * @since 0.2.0
 */
public interface ImageIndexProvider {

    /**
     * The name users choose the index by, such as {@code exact} or {@code hnsw}.
     *
     * @return the name, lower case
     */
    String name();

    /**
     * One line saying what the index is good for, for help texts.
     *
     * @return the description
     */
    String description();

    /**
     * Opens an index stored in a folder, creating it if the folder is empty or missing.
     *
     * @param dir the folder
     * @param space the space of all vectors; must match an existing index's stored space
     * @return the index; close it
     * @throws org.vlalign.InvalidArgumentException if the folder holds another kind of index or another space
     * @throws org.vlalign.IndexCorruptedException if the stored index is damaged
     */
    ImageIndex open(Path dir, EmbeddingSpace space);

    /**
     * Opens the last commit of an index folder for searching only: no writer's lock is taken and no
     * file is created, so it works while another process writes to the folder. Writes throw.
     *
     * @param dir a folder holding an index of this kind
     * @param space the space of all vectors; must match the index's stored space
     * @return the index; close it
     * @throws org.vlalign.IndexCorruptedException if the folder holds no such index or it is damaged
     * @throws UnsupportedOperationException if this kind cannot be opened read-only
     * @since 0.2.0
     */
    default ImageIndex openReadOnly(Path dir, EmbeddingSpace space) {
        throw new UnsupportedOperationException("the '" + name() + "' index cannot be opened read-only");
    }

    /**
     * Creates an index held in memory.
     *
     * @param space the space of all vectors
     * @return the index; close it
     */
    ImageIndex inMemory(EmbeddingSpace space);
}
