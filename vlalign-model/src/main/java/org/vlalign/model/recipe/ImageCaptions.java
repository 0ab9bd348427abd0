package org.vlalign.model.recipe;

import java.util.List;
import java.util.Optional;
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
 * @param hardNegatives near misses of {@code captions.get(matchIndex)} (false of the image, one detail changed)
 *     for image–text matching; may be empty
 * @param matchIndex the caption the hard negatives are near misses of
 * @since 0.1.0
 */
public record ImageCaptions(ImageInput image, List<String> captions, List<String> hardNegatives, int matchIndex) {
    /** Validates and copies. */
    public ImageCaptions {
        Checks.checkNotNull(image, "image");
        captions = List.copyOf(captions);
        hardNegatives = List.copyOf(hardNegatives);
        if (captions.isEmpty()) {
            throw new InvalidArgumentException("image " + image.description() + " has no caption; give at least one");
        }
        if (matchIndex < 0 || matchIndex >= captions.size()) {
            throw new InvalidArgumentException("matchIndex " + matchIndex + " is not one of the " + captions.size()
                    + " captions");
        }
    }

    /**
     * An image with captions and no hard negatives.
     *
     * @param image the image
     * @param captions at least one caption
     */
    public ImageCaptions(ImageInput image, List<String> captions) {
        this(image, captions, List.of(), 0);
    }

    /**
     * The image–text matching stage's item: half of the time the matched caption with one of its hard
     * negatives, otherwise a drawn caption without (the matching loss then takes an in-batch negative). Drawing
     * the matched caption as often keeps positives and negatives in one style, so the style cannot give the
     * answer away.
     *
     * @param random the stream
     * @return the pair
     * @since 0.2.0
     */
    public ImageText drawWithNegative(Random random) {
        if (hardNegatives.isEmpty() || random.nextBoolean()) {
            return draw(random);
        }
        return new ImageText(image, captions.get(matchIndex), hardNegatives.get(random.nextInt(hardNegatives.size())));
    }

    /**
     * The located caption with one of the hard negatives, chosen by {@code index} (cycling), for held-out
     * checks of whether a model scores the true caption above its near miss.
     *
     * @param index which hard negative, modulo their number
     * @return the pair, or empty if this image has no hard negative
     */
    public Optional<ImageText> nearMiss(int index) {
        if (hardNegatives.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new ImageText(image, captions.get(matchIndex),
                hardNegatives.get(Math.floorMod(index, hardNegatives.size()))));
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
