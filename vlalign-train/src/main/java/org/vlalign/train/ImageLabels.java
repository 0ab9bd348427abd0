package org.vlalign.train;

import java.util.BitSet;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;

/**
 * An image with a fixed-length set of yes/no labels, the item of {@link VisionLabelObjective}: for example, for
 * each grid cell and each shape kind, whether that kind is in that cell.
 *
 * <p>Immutable and thread-safe (the bit set is copied in and out).
 *
 * @param image the image
 * @param count the number of labels, the same for every item of one objective
 * @param positives the labels that are true, each below {@code count}
 * @since 0.2.0
 */
public record ImageLabels(ImageInput image, int count, BitSet positives) {
    /** Validates and copies. */
    public ImageLabels {
        if (image == null || positives == null) {
            throw new InvalidArgumentException("image labels need an image and a set of positive labels");
        }
        if (count <= 0 || positives.length() > count) {
            throw new InvalidArgumentException("labels must be numbered below the label count " + count
                    + ", but the highest positive is " + (positives.length() - 1));
        }
        positives = (BitSet) positives.clone();
    }

    /**
     * The true labels.
     *
     * @return a copy
     */
    @Override
    public BitSet positives() {
        return (BitSet) positives.clone();
    }

    /**
     * Whether one label is true.
     *
     * @param label a label below {@link #count()}
     * @return true if it is
     */
    public boolean isPositive(int label) {
        return positives.get(label);
    }
}
