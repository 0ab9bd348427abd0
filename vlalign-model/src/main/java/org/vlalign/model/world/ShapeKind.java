package org.vlalign.model.world;

/**
 * The kinds of shape the world draws, each with the noun used for it in texts.
 *
 * <p>Enum constants are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public enum ShapeKind {
    /** A filled disc. */
    CIRCLE("circle", "circles"),
    /** An axis-aligned filled square. */
    SQUARE("square", "squares"),
    /** An upward-pointing equilateral triangle. */
    TRIANGLE("triangle", "triangles"),
    /** A five-pointed star, one point up. */
    STAR("star", "stars"),
    /** A plus sign with arms of equal length. */
    CROSS("cross", "crosses"),
    /** A square standing on one corner. */
    DIAMOND("diamond", "diamonds");

    private final String word;
    private final String plural;

    ShapeKind(String word, String plural) {
        this.word = word;
        this.plural = plural;
    }

    /**
     * Returns the singular noun, e.g. {@code "circle"}.
     *
     * @return the word used in texts
     */
    public String word() {
        return word;
    }

    /**
     * Returns the plural noun, e.g. {@code "crosses"}.
     *
     * @return the plural used in counting questions
     */
    public String plural() {
        return plural;
    }
}
