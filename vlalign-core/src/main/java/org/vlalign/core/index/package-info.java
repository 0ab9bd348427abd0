/**
 * Image search indexes: {@link org.vlalign.core.index.ExactImageIndex}, the embedded exact scan with
 * its own versioned, checksummed file format and atomic commits, {@link
 * org.vlalign.core.index.LuceneHnswImageIndex}, the approximate on-disk index for millions of images,
 * {@link org.vlalign.core.index.ImageIndexes} to choose between them, and {@link
 * org.vlalign.core.index.FolderIndexer}, which fills an index from a folder of image files.
 *
 * <p>Both indexes score an image as the maximum over its stored vectors of the dot product with the
 * query (BLIP-2 image–text contrastive ranking; the cosine for CLIP), so their scores are comparable.
 *
 * @since 0.1.0
 */
package org.vlalign.core.index;
