package org.vlalign.core.generate;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much memory a generation call may plan for, so a request that could never fit (a hundred
 * thousand beams, a batch of thousands) is refused before its caches are allocated, instead of
 * exhausting the machine.
 *
 * <p>The Java heap budget is the heap's maximum size less a fixed margin: the most any cache on the
 * heap could ever reach. The native budget is what the operating system reports it can still give
 * without swapping ({@code MemAvailable} of {@code /proc/meminfo}), or the physical memory where
 * that file does not exist.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.2.0
 */
public final class MemoryBudget {
    /** Kept back for everything else: weights being read, activations, the application. */
    public static final long MARGIN_BYTES = 256L << 20;

    private MemoryBudget() {}

    /**
     * The bytes a cache held on the Java heap may reach.
     *
     * @return bytes; {@link Long#MAX_VALUE} if the heap is unbounded
     */
    public static long heapBytes() {
        long max = Runtime.getRuntime().maxMemory();
        return max == Long.MAX_VALUE ? max : Math.max(0, max - MARGIN_BYTES);
    }

    /**
     * The bytes a cache held in native memory may reach now.
     *
     * @return bytes
     */
    public static long nativeBytes() {
        long available = memAvailable(Path.of("/proc/meminfo"));
        if (available < 0) {
            var os = ManagementFactory.getOperatingSystemMXBean();
            available = os instanceof com.sun.management.OperatingSystemMXBean sun
                    ? sun.getTotalMemorySize()
                    : Long.MAX_VALUE;
        }
        return available == Long.MAX_VALUE ? available : Math.max(0, available - MARGIN_BYTES);
    }

    /** {@code MemAvailable} in bytes, or -1 if the file is missing or has no such line. */
    static long memAvailable(Path meminfo) {
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.substring("MemAvailable:".length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * A byte count for messages: {@code 1.5 GiB}, {@code 12.0 MiB}.
     *
     * @param bytes the count
     * @return the text
     */
    public static String format(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(java.util.Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return String.format(java.util.Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
