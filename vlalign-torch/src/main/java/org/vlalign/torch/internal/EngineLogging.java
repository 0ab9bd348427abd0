package org.vlalign.torch.internal;

/**
 * Quiet defaults for the engine's loggers, applied before DJL logs anything: an embedded SDK should not fill a
 * host application's log with engine start-up chatter.
 *
 * <p>DJL warns "Failed to detect GPU count: CUDA driver version is insufficient" on every probe of a machine
 * that has the CUDA runtime library but no usable GPU driver (a CPU-only machine with the CUDA toolkit), and
 * logs its platform and thread settings at INFO. vlalign runs on the CPU, so none of that is actionable. SLF4J
 * has no API to set levels, so this sets the documented per-logger properties of {@code slf4j-simple} (the
 * binding most small applications use), and only those the host has not set itself: {@code
 * ai.djl.util.cuda.CudaUtils} to {@code error}, {@code ai.djl.util.Platform} and {@code
 * ai.djl.pytorch.engine.PtEngine} to {@code warn}. With Logback or Log4j, set the same logger names in their
 * configuration. Thread-safe and idempotent.
 */
public final class EngineLogging {
    private static final String PREFIX = "org.slf4j.simpleLogger.log.";
    private static final String[][] QUIET = {
        {"ai.djl.util.cuda.CudaUtils", "error"},
        {"ai.djl.util.Platform", "warn"},
        {"ai.djl.pytorch.engine.PtEngine", "warn"},
        {"ai.djl.pytorch.jni.LibUtils", "warn"},
    };

    private EngineLogging() {}

    /** Sets the quiet defaults the host has not overridden; call before the first DJL class loads. */
    public static void quietDefaults() {
        for (String[] logger : QUIET) {
            String key = PREFIX + logger[0];
            synchronized (EngineLogging.class) {
                if (System.getProperty(key) == null) {
                    System.setProperty(key, logger[1]);
                }
            }
        }
    }
}
