package org.vlalign.train;

import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;

/**
 * An image with one text about it, the item of {@link ContrastiveObjective}, and optionally a hard negative:
 * a text that does not describe the image but differs from a true one in one detail, which the image–text
 * matching loss learns to reject.
 *
 * <p>Immutable and thread-safe.
 *
 * @param image the image
 * @param text a caption of it
 * @param hardNegative a near-miss caption that is false of the image, or null (the matching loss then takes
 *     the batch's most similar other text)
 * @since 0.2.0
 */
public record ImageText(ImageInput image, String text, String hardNegative) {
    /** Validates. */
    public ImageText {
        if (image == null || text == null) {
            throw new InvalidArgumentException("an image-text pair needs both an image and a text");
        }
        if (text.equals(hardNegative)) {
            throw new InvalidArgumentException("the hard negative '" + hardNegative + "' equals the caption");
        }
    }

    /**
     * A pair without a hard negative.
     *
     * @param image the image
     * @param text a caption of it
     */
    public ImageText(ImageInput image, String text) {
        this(image, text, null);
    }
}
