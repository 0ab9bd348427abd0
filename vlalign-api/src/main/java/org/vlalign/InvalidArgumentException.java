package org.vlalign;

/**
 * A caller passed an argument that cannot be used: an empty or over-long query, a non-positive {@code k}, a feature array of the wrong shape. The message names the parameter and its value.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public class InvalidArgumentException extends VlalignException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, where, and how to fix it
     */
    public InvalidArgumentException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what was wrong, where, and how to fix it
     * @param cause the underlying failure
     */
    public InvalidArgumentException(String message, Throwable cause) {
        super(message, cause);
    }
}
