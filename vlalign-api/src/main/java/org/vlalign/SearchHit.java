package org.vlalign;

import java.util.Map;

/**
 * One result of an image search.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the image's id in the index
 * @param score the similarity; higher is better (for BLIP-2, the maximum over the image's query
 *     vectors of the dot product with the text vector; for CLIP, the cosine)
 * @param metadata the metadata stored with the image, such as {@code source}
 * @since 0.1.0
 */
public record SearchHit(String id, float score, Map<String, String> metadata) {
    /** Validates and copies. */
    public SearchHit {
        Checks.checkNotNull(id, "id");
        metadata = Map.copyOf(Checks.checkNotNull(metadata, "metadata"));
    }
}
