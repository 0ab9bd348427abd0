/**
 * Evaluation metrics: VQA accuracy with the official answer normalisation ({@link
 * org.vlalign.core.metrics.VqaAccuracy}, {@link org.vlalign.core.metrics.AnswerNormalizer}), exact
 * match ({@link org.vlalign.core.metrics.ExactMatch}), the caption metric CIDEr-D ({@link
 * org.vlalign.core.metrics.CiderD}), a ridge linear probe ({@link org.vlalign.core.metrics.LinearProbe}), retrieval metrics (Recall@k) for image
 * search, and boxes with their IoU for referring expressions ({@link org.vlalign.core.metrics.BoundingBox}).
 *
 * <p>All metrics are plain Java, stateless or immutable, and thread-safe.
 *
 * @since 0.1.0
 */
package org.vlalign.core.metrics;
