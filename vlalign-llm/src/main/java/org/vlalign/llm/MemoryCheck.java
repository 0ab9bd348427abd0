package org.vlalign.llm;

import org.vlalign.InvalidArgumentException;

/**
 * Checks that the Java heap can hold what is about to be allocated, before allocating it, so a model that
 * does not fit fails at once with the setting to change instead of an {@link OutOfMemoryError} part way
 * through loading. Stateless and thread-safe.
 */
final class MemoryCheck {
    /** Room left for everything else: activations, caches, the rest of the application. */
    static final long MARGIN = 256L << 20;

    private MemoryCheck() {}

    /**
     * Fails if {@code bytes} more would not fit in the heap's maximum size.
     *
     * @param bytes the allocation
     * @param what what is being loaded, for the message
     * @throws InvalidArgumentException naming {@code -Xmx} and the size needed
     */
    static void requireHeap(long bytes, String what) {
        Runtime rt = Runtime.getRuntime();
        long max = rt.maxMemory();
        if (max == Long.MAX_VALUE) {
            return;
        }
        long used = rt.totalMemory() - rt.freeMemory();
        long available = max - used;
        if (bytes + MARGIN > available) {
            long neededMb = (used + bytes + MARGIN) / (1 << 20) + 1;
            throw new InvalidArgumentException(what + " need " + bytes / (1 << 20) + " MB of Java heap but only "
                    + Math.max(0, available - MARGIN) / (1 << 20) + " MB is free (-Xmx" + max / (1 << 20) + "m). "
                    + "Start the JVM with -Xmx" + ((neededMb + 1023) / 1024) + "g or more (the vlalign launcher: "
                    + "VLALIGN_JAVA_OPTS), or choose a smaller weight format (q8, q4).");
        }
    }
}
