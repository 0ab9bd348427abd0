package org.vlalign;

/**
 * Receives an answer as it is generated.
 *
 * <p>Text arrives in pieces that concatenate to the final {@link Answer#text()}: a piece is emitted
 * only once the tokens behind it decode to complete characters, so multi-byte characters and
 * tokens that merge with their successors never appear half-formed, and text that might be the
 * start of a stop string is held back until it is known not to be. Called on the generating thread;
 * an implementation must be quick or hand off.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface TokenListener {
    /**
     * A new piece of the answer.
     *
     * @param text the new text, never empty
     */
    void onText(String text);
}
