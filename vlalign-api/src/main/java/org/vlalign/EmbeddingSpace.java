package org.vlalign;

/**
 * The identity of the vector space that search embeddings live in: which model made them, with which
 * weights and preprocessing.
 *
 * <p>An {@link ImageIndex} stores the space it was built in and refuses vectors and queries from
 * another, because scores between spaces are meaningless. Immutable and thread-safe.
 *
 * @param family the model family, e.g. {@code blip-2}, {@code clip}
 * @param fingerprint a digest of the checkpoint's weights and configuration
 * @param preprocessing a description of the image preprocessing (size, resampling, mean, std)
 * @param dimension the width of each vector
 * @since 0.1.0
 */
public record EmbeddingSpace(String family, String fingerprint, String preprocessing, int dimension) {
    /** Validates. */
    public EmbeddingSpace {
        Checks.checkNotNull(family, "family");
        Checks.checkNotNull(fingerprint, "fingerprint");
        Checks.checkNotNull(preprocessing, "preprocessing");
        Checks.checkArgument(dimension > 0, "dimension must be positive but was %s", dimension);
    }
}
