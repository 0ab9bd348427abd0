package org.vlalign;

/**
 * The root of every failure that vlalign reports.
 *
 * <p>Messages say what was wrong, where (file, tensor, byte offset, argument) and how to fix it; the
 * cause is always chained. Catch this type to handle every library failure, or one of its subclasses
 * ({@link CheckpointException}, {@link UnsupportedModelException}, {@link ImageDecodingException},
 * {@link IndexCorruptedException}, {@link InvalidArgumentException}) to handle one kind.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public class VlalignException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception with a message.
     *
     * @param message what went wrong, where, and how to fix it
     */
    public VlalignException(String message) {
        super(message);
    }

    /**
     * Creates an exception with a message and the cause it wraps.
     *
     * @param message what went wrong, where, and how to fix it
     * @param cause the underlying failure
     */
    public VlalignException(String message, Throwable cause) {
        super(message, cause);
    }
}
