package org.vlalign.model.world;

/**
 * The two sizes of shape, with the nominal half-extent as a fraction of the image side.
 *
 * <p>The large radius is about 1.7 times the small one, so the two classes never overlap even with
 * the world's small size jitter. Enum constants are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public enum ShapeSize {
    /** About a fifth of the image wide. */
    SMALL("small", 0.095),
    /** About a third of the image wide. */
    LARGE("large", 0.16);

    private final String word;
    private final double radius;

    ShapeSize(String word, double radius) {
        this.word = word;
        this.radius = radius;
    }

    /**
     * Returns the size's adjective, {@code "small"} or {@code "large"}.
     *
     * @return the word used in texts
     */
    public String word() {
        return word;
    }

    /**
     * Returns the nominal half-extent of a shape of this size, as a fraction of the image side.
     *
     * @return the radius before jitter
     */
    public double radius() {
        return radius;
    }
}
