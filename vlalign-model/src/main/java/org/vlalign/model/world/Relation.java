package org.vlalign.model.world;

/**
 * A spatial relationship between two shapes, read as "A is {@code predicate} B".
 *
 * <p>Enum constants are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public enum Relation {
    /** A's centre is clearly further left than B's. */
    LEFT_OF("left of", "to the left of"),
    /** A's centre is clearly further right than B's. */
    RIGHT_OF("right of", "to the right of"),
    /** A's centre is clearly higher than B's. */
    ABOVE("above", "above"),
    /** A's centre is clearly lower than B's. */
    BELOW("below", "below"),
    /** The two shapes share a clear part of their area. */
    OVERLAPPING("overlapping", "overlapping");

    private final String predicate;
    private final String captionPhrase;

    Relation(String predicate, String captionPhrase) {
        this.predicate = predicate;
        this.captionPhrase = captionPhrase;
    }

    /**
     * Returns the predicate used in relationship answers, e.g. {@code "left of"}.
     *
     * @return the predicate
     */
    public String predicate() {
        return predicate;
    }

    /**
     * Returns the phrase used in captions, e.g. {@code "to the left of"}.
     *
     * @return the caption phrase
     */
    public String captionPhrase() {
        return captionPhrase;
    }

    /**
     * Returns the relation of B to A when this is the relation of A to B.
     *
     * @return the converse relation
     */
    public Relation converse() {
        switch (this) {
            case LEFT_OF:
                return RIGHT_OF;
            case RIGHT_OF:
                return LEFT_OF;
            case ABOVE:
                return BELOW;
            case BELOW:
                return ABOVE;
            default:
                return OVERLAPPING;
        }
    }
}
