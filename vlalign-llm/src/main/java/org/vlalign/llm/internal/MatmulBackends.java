package org.vlalign.llm.internal;

import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.llm.MatmulBackend;

/** Finds the {@link MatmulBackend} once per JVM, honouring {@link MatmulBackend#PROPERTY}. Thread-safe. */
final class MatmulBackends {
    private static final Logger LOG = LoggerFactory.getLogger(MatmulBackends.class);
    private static volatile MatmulBackend found;
    private static volatile boolean searched;

    private MatmulBackends() {}

    /**
     * The backend to use for long prompts.
     *
     * @return the first backend on the class path, or null (JVM kernels only)
     */
    static MatmulBackend find() {
        if (!searched) {
            synchronized (MatmulBackends.class) {
                if (!searched) {
                    found = search();
                    searched = true;
                }
            }
        }
        return found;
    }

    private static MatmulBackend search() {
        String wanted = System.getProperty(MatmulBackend.PROPERTY, "auto").strip().toLowerCase(Locale.ROOT);
        if (wanted.equals("java")) {
            return null;
        }
        try {
            for (MatmulBackend b : ServiceLoader.load(MatmulBackend.class)) {
                LOG.debug("matrix products of {}+ vectors go to {}", b.minVectors(), b.name());
                return b;
            }
        } catch (ServiceConfigurationError e) {
            LOG.warn("a matrix-product backend on the class path cannot be loaded ({}); long prompts use the JVM"
                    + " kernels", e.toString());
        }
        return null;
    }
}
