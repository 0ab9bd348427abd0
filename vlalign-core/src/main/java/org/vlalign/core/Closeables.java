package org.vlalign.core;

import java.util.List;
import org.vlalign.VlalignException;

/** Closing several parts at once, for the composed model and its parts. Stateless; not public API. */
final class Closeables {
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
}
