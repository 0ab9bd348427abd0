package org.vlalign.core;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import org.vlalign.VlalignException;

/**
 * Closing resources: several parts at once, for the composed model and its parts, and one resource
 * quietly, for the index backends and file readers of vlalign's modules. Stateless and thread-safe; not
 * public API.
 *
 * @since 0.1.0
 */
public final class Closeables {
    private Closeables() {}

    /**
     * Closes every resource in order, all of them even if some fail.
     *
     * @param resources what to close
     * @throws VlalignException naming the first that failed, with its cause and the later failures suppressed
     */
    static void closeAll(List<? extends AutoCloseable> resources) {
        VlalignException failure = null;
        for (AutoCloseable c : resources) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new VlalignException("Closing " + c + " failed: " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Closes a resource whose failure to close has nothing to tell the caller: on a path that is already
     * failing, or where closing only releases a file, a lock or a connection. Only an {@link IOException}
     * is swallowed; anything else propagates.
     *
     * @param resource what to close, or null (nothing to do)
     * @since 0.3.0
     */
    public static void closeQuietly(Closeable resource) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (IOException e) {
            // nothing to report: the caller is failing already or only releasing the resource
        }
    }
}
