package org.vlalign;

/**
 * An image index on disk is damaged or incompatible: a bad checksum, a file cut off mid-write, an unknown format version, or an index built with a different model.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public class IndexCorruptedException extends VlalignException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, where, and how to fix it
     */
    public IndexCorruptedException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what was wrong, where, and how to fix it
     * @param cause the underlying failure
     */
    public IndexCorruptedException(String message, Throwable cause) {
        super(message, cause);
    }
}
