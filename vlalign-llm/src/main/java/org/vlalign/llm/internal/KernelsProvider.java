package org.vlalign.llm.internal;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link Kernels} once per JVM: the Vector API ones when the JVM was started with
 * {@code --add-modules jdk.incubator.vector}, the scalar ones otherwise (with one WARN naming the
 * option). The system property {@code vlalign.llm.kernels=scalar} forces the scalar ones (tests compare
 * the two). Thread-safe.
 */
public final class KernelsProvider {
    private static final Logger LOG = LoggerFactory.getLogger(KernelsProvider.class);
    /** The system property that selects the kernels: {@code auto} (default), {@code vector} or {@code scalar}. */
    public static final String PROPERTY = "vlalign.llm.kernels";

    private static final Kernels KERNELS = choose();

    private KernelsProvider() {}

    /**
     * The kernels this JVM uses.
     *
     * @return the kernels
     */
    public static Kernels get() {
        return KERNELS;
    }

    /**
     * The scalar kernels, whatever the JVM supports (for tests and benchmarks).
     *
     * @return the scalar kernels
     */
    public static Kernels scalar() {
        return new ScalarKernels();
    }

    private static Kernels choose() {
        String wanted = System.getProperty(PROPERTY, "auto").strip().toLowerCase(Locale.ROOT);
        if (wanted.equals("scalar")) {
            return new ScalarKernels();
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            LOG.warn("The Java Vector API is not enabled, so vlalign's language-model kernels run scalar (several times"
                    + " slower). Start the JVM with --add-modules jdk.incubator.vector to enable it.");
            return new ScalarKernels();
        }
        try {
            Kernels k = (Kernels) Class.forName("org.vlalign.llm.internal.VectorKernels").getDeclaredConstructor()
                    .newInstance();
            LOG.debug("language-model kernels: {}", k.describe());
            return k;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            LOG.warn("The Java Vector API is present but cannot be used ({}), so vlalign's language-model kernels run"
                    + " scalar (several times slower).", e.toString());
            return new ScalarKernels();
        }
    }
}
