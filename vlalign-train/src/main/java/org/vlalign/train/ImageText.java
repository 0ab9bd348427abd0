package org.vlalign.train;

import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;

/**
 * An image with one text about it, the item of {@link ContrastiveObjective}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param image the image
 * @param text a caption of it
 * @since 0.2.0
 */
public record ImageText(ImageInput image, String text) {
    /** Validates. */
    public ImageText {
        if (image == null || text == null) {
            throw new InvalidArgumentException("an image-text pair needs both an image and a text");
        }
    }
}
