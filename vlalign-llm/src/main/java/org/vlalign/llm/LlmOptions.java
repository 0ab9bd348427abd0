package org.vlalign.llm;

import org.vlalign.InvalidArgumentException;
import org.vlalign.WeightFormat;

/**
 * How the JVM engine loads and runs a language model.
 *
 * <p>Immutable and thread-safe.
 *
 * @param weights the weight format; {@link WeightFormat#AUTO} chooses by model size
 * @param threads the threads that compute one forward pass, at least 1; 0 for the default
 *     ({@link #defaultThreads()})
 * @since 0.2.0
 */
public record LlmOptions(WeightFormat weights, int threads) {
    /** AUTO weights, default threads. */
    public static final LlmOptions DEFAULT = new LlmOptions(WeightFormat.AUTO, 0);

    /** Validates. */
    public LlmOptions {
        if (weights == null) {
            throw new InvalidArgumentException("weights must not be null; use WeightFormat.AUTO for the default");
        }
        if (threads < 0 || threads > 1024) {
            throw new InvalidArgumentException("threads must be 0 (default) or 1..1024 but is " + threads);
        }
    }

    /**
     * Options with a weight format and default threads.
     *
     * @param weights the format
     * @return the options
     */
    public static LlmOptions of(WeightFormat weights) {
        return new LlmOptions(weights, 0);
    }

    /**
     * The threads a forward pass uses: the given number, or by default the available processors (at most
     * 16: decoding is bound by memory bandwidth, which a few cores saturate).
     *
     * @return at least 1
     */
    public int effectiveThreads() {
        return threads > 0 ? threads : defaultThreads();
    }

    /**
     * The default thread count.
     *
     * @return the available processors, at most 16
     */
    public static int defaultThreads() {
        return Math.max(1, Math.min(16, Runtime.getRuntime().availableProcessors()));
    }
}
