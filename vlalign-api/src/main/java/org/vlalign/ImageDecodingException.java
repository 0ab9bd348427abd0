package org.vlalign;

/**
 * An image could not be decoded: a corrupt or truncated file, an unsupported format, or an image whose declared size exceeds the decoding limit (a decompression bomb).
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public class ImageDecodingException extends VlalignException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, where, and how to fix it
     */
    public ImageDecodingException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what was wrong, where, and how to fix it
     * @param cause the underlying failure
     */
    public ImageDecodingException(String message, Throwable cause) {
        super(message, cause);
    }
}
