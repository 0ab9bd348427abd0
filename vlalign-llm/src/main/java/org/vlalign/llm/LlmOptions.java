package org.vlalign.llm;

import java.nio.file.Path;
import org.vlalign.InvalidArgumentException;
import org.vlalign.WeightFormat;
import org.vlalign.core.generate.MemoryBudget;

/**
 * How the JVM engine loads and runs a language model.
 *
 * <p>Immutable and thread-safe.
 *
 * @param weights the weight format; {@link WeightFormat#AUTO} chooses by model size
 * @param threads the threads that compute one forward pass, at least 1; 0 for the default
 *     ({@link #defaultThreads()})
 * @param lora a LoRA adapter folder (PEFT layout) to merge into the weights while loading, or null
 * @param cacheWeights keep the encoded weights in a cache file beside the checkpoint (or under
 *     {@code ~/.cache/vlalign/weights}) and read them from there next time: a 7B model in Q8 then loads in
 *     seconds instead of a minute, for the disk space of its weights in that format
 * @param prefixCacheBytes the most bytes of keys and values kept from earlier prompts for later ones that start
 *     the same way (a second question about the same image, a chat's next turn; see {@link
 *     PrefixCacheStats}); 0 turns the cache off, {@link #AUTO_PREFIX_CACHE} (the default) takes a sixteenth
 *     of the maximum heap, at most 1 GiB
 * @since 0.2.0
 */
public record LlmOptions(WeightFormat weights, int threads, Path lora, boolean cacheWeights, long prefixCacheBytes) {
    /** The default prefix cache bound: a sixteenth of the maximum heap, at most 1 GiB. */
    public static final long AUTO_PREFIX_CACHE = -1;

    /** AUTO weights, default threads, no adapter, no weight cache, the default prefix cache. */
    public static final LlmOptions DEFAULT = new LlmOptions(WeightFormat.AUTO, 0, null, false);

    /** Validates. */
    public LlmOptions {
        if (weights == null) {
            throw new InvalidArgumentException("weights must not be null; use WeightFormat.AUTO for the default");
        }
        if (threads < 0 || threads > 1024) {
            throw new InvalidArgumentException("threads must be 0 (default) or 1..1024 but is " + threads);
        }
        if (prefixCacheBytes < AUTO_PREFIX_CACHE) {
            throw new InvalidArgumentException("prefixCacheBytes must be 0 (off), a positive bound, or "
                    + "AUTO_PREFIX_CACHE (-1), but is " + prefixCacheBytes);
        }
    }

    /**
     * Options with the default prefix cache.
     *
     * @param weights the format
     * @param threads the threads, 0 for the default
     * @param lora a LoRA adapter folder, or null
     * @param cacheWeights whether to keep the encoded weights on disk
     */
    public LlmOptions(WeightFormat weights, int threads, Path lora, boolean cacheWeights) {
        this(weights, threads, lora, cacheWeights, AUTO_PREFIX_CACHE);
    }

    /**
     * Options with a weight format and default threads.
     *
     * @param weights the format
     * @return the options
     */
    public static LlmOptions of(WeightFormat weights) {
        return new LlmOptions(weights, 0, null, false, AUTO_PREFIX_CACHE);
    }

    /**
     * Options with a weight format and a thread count.
     *
     * @param weights the format
     * @param threads the threads, 0 for the default
     */
    public LlmOptions(WeightFormat weights, int threads) {
        this(weights, threads, null, false, AUTO_PREFIX_CACHE);
    }

    /**
     * These options with a LoRA adapter merged at load.
     *
     * @param adapterDir the adapter folder, or null for none
     * @return the options
     */
    public LlmOptions withLora(Path adapterDir) {
        return new LlmOptions(weights, threads, adapterDir, cacheWeights, prefixCacheBytes);
    }

    /**
     * These options with the weight cache on or off.
     *
     * @param cache whether to use the cache
     * @return the options
     */
    public LlmOptions withCache(boolean cache) {
        return new LlmOptions(weights, threads, lora, cache, prefixCacheBytes);
    }

    /**
     * These options with a prefix cache bound.
     *
     * @param bytes the bound; 0 turns the cache off, {@link #AUTO_PREFIX_CACHE} for the default
     * @return the options
     */
    public LlmOptions withPrefixCache(long bytes) {
        return new LlmOptions(weights, threads, lora, cacheWeights, bytes);
    }

    /**
     * The prefix cache bound in bytes, the default resolved.
     *
     * @return bytes, 0 when off
     */
    public long effectivePrefixCacheBytes() {
        return prefixCacheBytes == AUTO_PREFIX_CACHE
                ? Math.min(1L << 30, MemoryBudget.heapBytes() / 16)
                : prefixCacheBytes;
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
