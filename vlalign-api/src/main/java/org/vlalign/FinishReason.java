package org.vlalign;

/**
 * Why generation ended.
 *
 * @since 0.1.0
 */
public enum FinishReason {
    /** The model emitted an end-of-sequence token. */
    EOS,
    /** A stop string appeared in the output. */
    STOP_STRING,
    /** {@link GenerationConfig#maxNewTokens()} tokens were generated. */
    MAX_TOKENS,
    /** The model's context window is full. */
    CONTEXT_LENGTH
}
