package org.vlalign;

/**
 * One turn of a conversation about an image.
 *
 * <p>Immutable and thread-safe.
 *
 * @param role who speaks
 * @param text what is said; may be empty (the reference system's alignment stage uses an empty query)
 * @since 0.1.0
 */
public record Turn(Role role, String text) {
    /** Validates. */
    public Turn {
        Checks.checkNotNull(role, "role");
        Checks.checkNotNull(text, "text");
    }

    /**
     * A user turn.
     *
     * @param text the question or instruction
     * @return the turn
     */
    public static Turn user(String text) {
        return new Turn(Role.USER, text);
    }

    /**
     * An assistant turn.
     *
     * @param text the model's earlier answer
     * @return the turn
     */
    public static Turn assistant(String text) {
        return new Turn(Role.ASSISTANT, text);
    }

    /**
     * A system turn.
     *
     * @param text the system prompt
     * @return the turn
     */
    public static Turn system(String text) {
        return new Turn(Role.SYSTEM, text);
    }
}
