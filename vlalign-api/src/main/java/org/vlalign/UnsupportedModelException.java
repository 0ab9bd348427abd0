package org.vlalign;

/**
 * A checkpoint, option or composition that vlalign does not implement, such as an unknown {@code model_type} or {@code rope_scaling} type. The message lists what is supported.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public class UnsupportedModelException extends VlalignException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, where, and how to fix it
     */
    public UnsupportedModelException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what was wrong, where, and how to fix it
     * @param cause the underlying failure
     */
    public UnsupportedModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
