package org.vlalign.core.metrics;

import org.vlalign.InvalidArgumentException;

/**
 * Recall@k of cross-modal retrieval in both directions, as fractions in {@code [0, 1]}.
 *
 * <p>Text→image: the fraction of captions whose image ranks in the top {@code k} images.
 * Image→text: the fraction of images (with at least one caption) for which any of their captions
 * ranks in the top {@code k} captions. Immutable and thread-safe.
 *
 * @param k the cut-off
 * @param textToImage text→image recall
 * @param imageToText image→text recall
 * @since 0.1.0
 */
public record RecallAtK(int k, double textToImage, double imageToText) {
    /** Validates. */
    public RecallAtK {
        if (k < 1) {
            throw new InvalidArgumentException("k must be at least 1 but was " + k);
        }
    }
}
