package org.vlalign.cli.web;

/**
 * A request the demo refuses, with the HTTP status and the message the page shows.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1.0
 */
final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    HttpError(int status, String message) {
        super(message);
        this.status = status;
    }

    HttpError(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status code, 4xx or 5xx. */
    int status() {
        return status;
    }
}
