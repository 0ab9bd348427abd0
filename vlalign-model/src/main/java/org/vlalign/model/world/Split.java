package org.vlalign.model.world;

/**
 * A dataset split; every split draws its scenes from its own seed stream, disjoint from the others.
 *
 * <p>Enum constants are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public enum Split {
    /** Training scenes. */
    TRAIN("train"),
    /** Held-out scenes for model selection. */
    VAL("val"),
    /** Held-out scenes for the final evaluation. */
    TEST("test");

    private final String word;

    Split(String word) {
        this.word = word;
    }

    /**
     * Returns the name used in file names and in the Karpathy {@code split} field.
     *
     * @return {@code "train"}, {@code "val"} or {@code "test"}
     */
    public String word() {
        return word;
    }
}
