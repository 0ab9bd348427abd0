/**
 * Image search indexes: {@link org.vlalign.core.index.ExactImageIndex}, the embedded exact scan with
 * its own versioned, checksummed file format and atomic commits; {@link
 * org.vlalign.core.index.ImageIndexes}, which opens an index by the name of its implementation (other
 * modules add theirs through {@link org.vlalign.spi.ImageIndexProvider}: {@code hnsw} in
 * {@code vlalign-lucene}); {@link org.vlalign.core.index.IndexChecks} and {@link
 * org.vlalign.core.index.TopHits}, which every implementation validates and ranks with; and {@link
 * org.vlalign.core.index.FolderIndexer}, which fills an index from a folder of image files.
 *
 * <p>Every index scores an image as the maximum over its stored vectors of the dot product with the
 * query (BLIP-2 image–text contrastive ranking; the cosine for CLIP), so their scores are comparable.
 *
 * @since 0.1.0
 */
package org.vlalign.core.index;
