/**
 * The 15-line Java quickstart: load a checkpoint with {@link org.vlalign.VlModel#load}, ask about an image
 * with a streamed answer, index the image and search it by text.
 *
 * @since 0.1.0
 */
package org.vlalign.samples.quickstart;
