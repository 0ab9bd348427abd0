package org.vlalign;

/**
 * A model checkpoint could not be read: a missing or malformed file, a truncated or malicious safetensors header, or a tensor whose shape disagrees with {@code config.json}.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public class CheckpointException extends VlalignException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, where, and how to fix it
     */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what was wrong, where, and how to fix it
     * @param cause the underlying failure
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
