package org.vlalign.llm.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import org.vlalign.Features;
import org.vlalign.llm.PrefixCacheStats;
import org.vlalign.spi.DecoderInput;

/**
 * Keys and values of earlier prompts, kept so that a later prompt starting the same way skips recomputing
 * them: asking a second question about the same image reuses the positions up to the end of the image, and
 * a chat's next turn reuses the previous turns (prompt and answer).
 *
 * <p>An entry is a prompt's content (token ids and embedding rows: found by per-position hashes, then
 * compared exactly over the positions reused) and the frozen
 * {@link KvCache.Prefix} of its positions. A lookup takes the entry sharing the longest run of leading
 * positions with the new prompt, keeping at least the prompt's last position to compute (its logits are
 * needed). Entries are evicted least recently used first, so the blocks held stay within {@code maxBytes}
 * (an entry larger than that is not kept). Entries share blocks with the sessions that made them, so a
 * kept entry costs memory only once its session has ended.
 *
 * <p>Thread-safe: every method synchronises on the cache; the prefixes it hands out are immutable.
 */
public final class PrefixCache {
    private final long maxBytes;
    private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long nextId;
    private long bytes;
    private long hits;
    private long misses;
    private long reusedPositions;

    /** The content of a prompt, position by position: token ids, or rows of embeddings. */
    public static final class Content {
        /** A token id (≥ 0) per position, or {@code -1 - k} for the {@code k}-th embedding row. */
        private final int[] codes;
        private final float[] rows; // embedding rows, hidden floats each
        private final int hidden;
        private final long[] hashes; // one per position, to compare many entries cheaply before exactly

        private Content(int[] codes, float[] rows, int hidden) {
            this.codes = codes;
            this.rows = rows;
            this.hidden = hidden;
            this.hashes = new long[codes.length];
            for (int i = 0; i < codes.length; i++) {
                long h = codes[i];
                if (codes[i] < 0) {
                    int o = (-1 - codes[i]) * hidden;
                    h = 0x9E3779B97F4A7C15L;
                    for (int j = 0; j < hidden; j++) {
                        h = (h ^ Float.floatToIntBits(rows[o + j])) * 0xBF58476D1CE4E5B9L;
                    }
                }
                hashes[i] = mix(h);
            }
        }

        private Content(int[] codes, float[] rows, int hidden, long[] hashes) {
            this.codes = codes;
            this.rows = rows;
            this.hidden = hidden;
            this.hashes = hashes;
        }

        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        /**
         * The content of a decoder input.
         *
         * @param input the input
         * @param hidden the width of an embedding row
         * @return its content
         */
        public static Content of(DecoderInput input, int hidden) {
            int[] codes = new int[input.length()];
            int embedded = 0;
            for (DecoderInput.Part part : input.parts()) {
                if (part instanceof DecoderInput.Embeddings e) {
                    embedded += e.features().rows();
                }
            }
            float[] rows = new float[Math.multiplyExact(embedded, hidden)];
            int p = 0;
            int k = 0;
            for (DecoderInput.Part part : input.parts()) {
                if (part instanceof DecoderInput.Tokens t) {
                    for (int id : t.ids()) {
                        codes[p++] = id;
                    }
                } else {
                    Features f = ((DecoderInput.Embeddings) part).features();
                    System.arraycopy(f.data(), 0, rows, k * hidden, f.rows() * hidden);
                    for (int i = 0; i < f.rows(); i++) {
                        codes[p++] = -1 - k++;
                    }
                }
            }
            return new Content(codes, rows, hidden);
        }

        /**
         * This content followed by tokens.
         *
         * @param ids the tokens
         * @return the longer content
         */
        public Content plus(int[] ids) {
            int[] longer = Arrays.copyOf(codes, codes.length + ids.length);
            System.arraycopy(ids, 0, longer, codes.length, ids.length);
            long[] h = Arrays.copyOf(hashes, longer.length);
            for (int i = codes.length; i < longer.length; i++) {
                h[i] = mix(longer[i]);
            }
            return new Content(longer, rows, hidden, h);
        }

        /**
         * The positions.
         *
         * @return positions
         */
        public int length() {
            return codes.length;
        }

        /** The number of leading positions whose hashes two contents share (at least {@link #common}). */
        int commonHashes(Content o) {
            int n = Math.min(hashes.length, o.hashes.length);
            for (int i = 0; i < n; i++) {
                if (hashes[i] != o.hashes[i]) {
                    return i;
                }
            }
            return n;
        }

        /** The number of leading positions two contents share, compared exactly. */
        int common(Content o) {
            int n = Math.min(codes.length, o.codes.length);
            for (int i = 0; i < n; i++) {
                int a = codes[i];
                int b = o.codes[i];
                if (a >= 0 || b >= 0) {
                    if (a != b) {
                        return i;
                    }
                } else {
                    int ra = (-1 - a) * hidden;
                    int rb = (-1 - b) * o.hidden;
                    if (hidden != o.hidden || !Arrays.equals(rows, ra, ra + hidden, o.rows, rb, rb + hidden)) {
                        return i;
                    }
                }
            }
            return n;
        }
    }

    /** A reusable prefix for a prompt: restore its first {@code length} positions. */
    public record Hit(KvCache.Prefix prefix, int length) {}

    private record Entry(long id, Content content, KvCache.Prefix prefix) {}

    /**
     * An empty cache.
     *
     * @param maxBytes the most bytes of blocks it keeps; 0 keeps none
     */
    public PrefixCache(long maxBytes) {
        this.maxBytes = Math.max(0, maxBytes);
    }

    /**
     * The longest reusable prefix for a prompt, if any.
     *
     * @param content the prompt
     * @return the hit, or null (a miss)
     */
    public synchronized Hit lookup(Content content) {
        Entry best = null;
        int bestLength = 0;
        for (Entry e : entries.values()) {
            int n = Math.min(Math.min(e.content.commonHashes(content), e.prefix.length()), content.length() - 1);
            if (n > bestLength) {
                best = e;
                bestLength = n;
            }
        }
        if (best != null) { // hashes found it; the positions reused are the ones equal exactly
            bestLength = Math.min(bestLength, best.content.common(content));
        }
        if (best == null || bestLength == 0) {
            misses++;
            return null;
        }
        entries.get(best.id); // touch it for the LRU order
        hits++;
        reusedPositions += bestLength;
        return new Hit(best.prefix, bestLength);
    }

    /**
     * Keeps a prompt's positions; drops entries it extends, then the least recently used ones over the bound.
     *
     * @param content the prompt, as long as the prefix
     * @param prefix its frozen positions
     */
    public synchronized void put(Content content, KvCache.Prefix prefix) {
        if (prefix.bytes() > maxBytes || content.length() != prefix.length()) {
            return;
        }
        List<Long> superseded = new ArrayList<>();
        for (Entry e : entries.values()) { // by hashes: a wrong guess here only keeps or drops an entry
            int common = e.content.commonHashes(content);
            if (common == content.length()) { // already covered (the same prompt, or a longer one)
                entries.get(e.id);
                return;
            }
            if (common == e.content.length()) {
                superseded.add(e.id);
            }
        }
        for (Long id : superseded) {
            bytes -= entries.remove(id).prefix.bytes();
        }
        long id = nextId++;
        entries.put(id, new Entry(id, content, prefix));
        bytes += prefix.bytes();
        Iterator<Entry> it = entries.values().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            bytes -= it.next().prefix.bytes();
            it.remove();
        }
    }

    /** Drops every entry. */
    public synchronized void clear() {
        entries.clear();
        bytes = 0;
    }

    /**
     * Counts so far.
     *
     * @return the statistics
     */
    public synchronized PrefixCacheStats stats() {
        return new PrefixCacheStats(hits, misses, reusedPositions, entries.size(), bytes, maxBytes);
    }
}
