package org.vlalign;

/**
 * One question about one image, for {@link VlModel#askBatch}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param image the image
 * @param query the question
 * @since 0.1.0
 */
public record AskRequest(ImageInput image, String query) {
    /** Validates. */
    public AskRequest {
        Checks.checkNotNull(image, "image");
        Checks.checkNotNull(query, "query");
    }
}
