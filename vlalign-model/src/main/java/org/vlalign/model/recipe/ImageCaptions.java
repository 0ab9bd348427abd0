package org.vlalign.model.recipe;

import java.util.List;
import java.util.Objects;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;

/**
 * One training image with its captions (the first is the canonical one, used for evaluation).
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param image the image
 * @param captions at least one caption
 * @since 0.1.0
 */
public record ImageCaptions(ImageInput image, List<String> captions) {
    /** Validates and copies. */
    public ImageCaptions {
        Objects.requireNonNull(image, "image");
        captions = List.copyOf(captions);
        if (captions.isEmpty()) {
            throw new InvalidArgumentException("image " + image.description() + " has no caption; give at least one");
        }
    }
}
