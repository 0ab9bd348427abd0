package org.vlalign;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A searchable store of image embeddings, each under an id with metadata.
 *
 * <p>Each image is stored as one or more L2-normalised vectors (BLIP-2: one per query token; CLIP:
 * one). The score of an image for a query vector is the maximum over its vectors of the dot product,
 * which is how BLIP-2 ranks (image–text contrastive similarity) and the cosine for CLIP.
 *
 * <p>Implementations are thread-safe: searches may run concurrently with each other and with
 * writes; a search sees each image either before or after a concurrent write, never half-written.
 * Writes become durable at {@link #commit()}.
 *
 * @since 0.1.0
 */
public interface ImageIndex extends AutoCloseable {

    /**
     * The space all vectors of this index live in.
     *
     * @return the space
     */
    EmbeddingSpace space();

    /**
     * Adds an image, or replaces the one with the same id.
     *
     * @param id the id, not empty
     * @param vectors shape {@code (vectors, space().dimension())}, rows L2-normalised
     * @param metadata metadata such as {@code source}; copied
     * @throws InvalidArgumentException if the width does not match the space
     */
    void upsert(String id, Features vectors, Map<String, String> metadata);

    /**
     * Removes an image.
     *
     * @param id the id
     * @return whether it was present
     */
    boolean remove(String id);

    /**
     * The metadata of an image.
     *
     * @param id the id
     * @return its metadata, or empty if absent
     */
    Optional<Map<String, String>> metadata(String id);

    /**
     * The stored vectors of an image, as {@link #upsert} received them (up to the index's storage
     * precision). {@link VlModel#search} uses them to judge how well a text describes each hit.
     *
     * @param id the id
     * @return its vectors, shape {@code (vectors, space().dimension())}; empty if absent, or if this kind
     *     of index keeps no vectors it can read back (the default)
     * @since 0.2.0
     */
    default Optional<Features> vectors(String id) {
        return Optional.empty();
    }

    /**
     * The number of images.
     *
     * @return the count
     */
    int size();

    /**
     * The best-scoring images for a query vector.
     *
     * @param query shape {@code (1, space().dimension())}, L2-normalised
     * @param k how many to return, at least 1
     * @return up to {@code k} hits, best first; ties broken by id
     */
    List<SearchHit> search(Features query, int k);

    /**
     * Makes all writes so far durable. An index that is not persistent does nothing.
     *
     * @throws VlalignException if writing fails; the previous commit stays intact
     */
    void commit();

    /** Closes the index without committing. Idempotent. */
    @Override
    void close();
}
