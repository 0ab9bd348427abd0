package org.vlalign;

/**
 * An image index on disk is damaged: a bad checksum, a file cut off mid-write, a bad magic number or
 * an unknown format version. Querying an index with another model than the one that built it is an
 * {@link InvalidArgumentException} naming both embedding spaces.
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
