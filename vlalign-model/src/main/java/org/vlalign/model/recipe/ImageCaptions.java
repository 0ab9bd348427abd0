package org.vlalign.model.recipe;

import java.util.List;
import java.util.Random;
import org.vlalign.Checks;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.train.ImageText;

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
        Checks.checkNotNull(image, "image");
        captions = List.copyOf(captions);
        if (captions.isEmpty()) {
            throw new InvalidArgumentException("image " + image.description() + " has no caption; give at least one");
        }
    }

    /**
     * The image with one of its captions drawn from a stream (the contrastive stage's training item).
     *
     * @param random the stream; advanced by one {@code nextInt(captions)}
     * @return the pair
     * @since 0.2.0
     */
    public ImageText draw(Random random) {
        return new ImageText(image, captions.get(random.nextInt(captions.size())));
    }

    /**
     * The image with its canonical caption (for evaluation).
     *
     * @return the pair
     * @since 0.2.0
     */
    public ImageText canonical() {
        return new ImageText(image, captions.get(0));
    }
}
