package org.vlalign.llm;

/**
 * What a model's prefix cache has done so far: the cache that lets a prompt reuse the keys and values of
 * an earlier prompt that started the same way (a second question about the same image, a chat's next turn).
 *
 * @param hits prompts that reused an earlier prompt's positions
 * @param misses prompts that found nothing to reuse
 * @param reusedPositions positions not recomputed, over all hits
 * @param entries prompts kept now
 * @param bytes bytes of keys and values kept now
 * @param maxBytes the bound on {@code bytes}; 0 when the cache is off
 * @since 0.2.0
 */
public record PrefixCacheStats(long hits, long misses, long reusedPositions, int entries, long bytes,
        long maxBytes) {}
