/**
 * The approximate on-disk image index on Lucene's HNSW vectors ({@link org.vlalign.lucene.LuceneHnswImageIndex}),
 * found by {@link org.vlalign.core.index.ImageIndexes} under the name {@code hnsw}.
 *
 * @since 0.2.0
 */
package org.vlalign.lucene;
