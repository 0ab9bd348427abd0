package org.vlalign.llm.internal;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.Checks;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.generate.DecoderChecks;
import org.vlalign.core.generate.MemoryBudget;
import org.vlalign.llm.LlamaFamilyModel;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;

/**
 * A generation session on the JVM engine: the {@link Decoder} the generation strategies drive, with a
 * {@link KvCache} of its own.
 *
 * <p>{@link #prefill} runs every row's prompt in one forward pass (in chunks of at most {@value
 * #MAX_STEPS_PER_PASS} positions, so the activation buffers stay bounded however long the prompts are);
 * {@link #step} appends one token to every row; {@link #reorder} selects, repeats or drops rows without
 * copying their cached positions.
 *
 * <p>Not thread-safe: one session per generation call, used by one thread. It holds only Java memory, so
 * {@link #close} just drops the cache.
 */
public final class LlamaSession implements LlamaFamilyModel.AttentionRecordingDecoder {
    /** The most positions one forward pass runs; longer prefills are split. */
    static final int MAX_STEPS_PER_PASS = 512;

    private final LlamaEngine engine;
    private final KvCache cache;
    private final int hidden;
    private final int vocab;
    private final int context;
    private final PrefixCache prefixes; // null when off
    private PrefixCache.Content content; // the single row's prompt while it can still be kept, else null
    private int[] fed = new int[16]; // tokens stepped into that row
    private int fedCount;
    private boolean prefilled;
    private boolean closed;
    private int attendFrom = -1; // the recorded range of positions, or -1 when attention is not recorded
    private int attendTo;
    private List<float[]> attention; // one row per logits the single row produced, while recorded

    /**
     * Opens a session.
     *
     * @param engine the model (shared)
     */
    public LlamaSession(LlamaEngine engine) {
        this(engine, null);
    }

    /**
     * Opens a session that reuses and feeds a prefix cache: a single-row prefill starts from the longest
     * kept prompt it begins with, and its prompt (with the tokens stepped after it, when the row was never
     * reordered) is kept when the session prefills and when it closes.
     *
     * @param engine the model (shared)
     * @param prefixes the cache (shared, thread-safe), or null for none
     */
    public LlamaSession(LlamaEngine engine, PrefixCache prefixes) {
        this.prefixes = prefixes;
        this.engine = engine;
        this.cache = engine.newCache();
        this.hidden = engine.config().hiddenSize();
        this.vocab = engine.config().vocabSize();
        this.context = engine.config().maxPositionEmbeddings();
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int contextLength() {
        return context;
    }

    /** Keys and values in float32 for every layer. */
    @Override
    public long cacheBytesPerPosition() {
        var c = engine.config();
        return (long) c.numHiddenLayers() * 2L * c.numKeyValueHeads() * c.headDim() * cache.elementBytes();
    }

    /** The cache lives on the Java heap. */
    @Override
    public long cacheBytesAvailable() {
        return MemoryBudget.heapBytes();
    }

    /**
     * The session's cache (for tests and diagnostics).
     *
     * @return the cache
     */
    public KvCache cache() {
        return cache;
    }

    @Override
    public float[][] prefill(List<DecoderInput> rows) {
        return prefill(rows, false);
    }

    /**
     * Records, from the next {@link #prefill} on, the attention of the single row's query positions to prompt
     * positions {@code [from, to)}: for each logits the row produces (the prefill's last position, then each
     * {@link #step}), the post-softmax probabilities averaged over every layer and every head. Row {@code i} of
     * {@link #attention()} is therefore the attention that chose generated token {@code i}. The prefix cache
     * does not change it: a prefill that reuses kept positions computes its last position's attention over
     * them as a cold one does. Memory: one {@code float[to - from]} per produced logits.
     *
     * @param from the first recorded prompt position (e.g. the first image position)
     * @param to one past the last
     * @throws org.vlalign.InvalidArgumentException if the range is empty or negative
     * @throws IllegalStateException if the session was already prefilled
     */
    public void recordAttention(int from, int to) {
        checkOpen();
        Checks.checkArgument(0 <= from && from < to, "the attention range [%s, %s) must be non-empty and"
                + " non-negative", from, to);
        Preconditions.checkState(!prefilled, "recordAttention must be called before prefill");
        attendFrom = from;
        attendTo = to;
        attention = new ArrayList<>();
    }

    /**
     * The attention recorded since {@link #recordAttention}: one row per logits the single row produced
     * while it was the only row, each {@code to - from} probabilities (each in [0, 1]; a row sums to the
     * share of attention the query put on the range, at most 1).
     *
     * @return {@code [produced logits][to - from]}, copies
     * @throws IllegalStateException if attention is not being recorded
     */
    @Override
    public float[][] attention() {
        Preconditions.checkState(attention != null, "attention is not recorded; call recordAttention first");
        float[][] out = new float[attention.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = attention.get(i).clone();
        }
        return out;
    }

    /**
     * Runs one prompt and returns the logits of every position (for scoring and evaluation).
     *
     * @param row the prompt
     * @return {@code [position][vocab]}
     */
    public float[][] prefillEveryPosition(DecoderInput row) {
        return prefill(List.of(row), true);
    }

    private float[][] prefill(List<DecoderInput> rows, boolean everyPosition) {
        checkOpen();
        DecoderChecks.checkPrefill(rows, context, vocab, hidden);
        int b = rows.size();
        int total = 0;
        for (DecoderInput row : rows) {
            total += row.length();
        }
        if (attention != null) {
            Checks.checkArgument(b == 1 && !everyPosition, "attention is recorded for a single row, but the"
                    + " prefill has %s rows", b);
            Checks.checkArgument(attendTo <= total, "the attention range [%s, %s) must lie in the prompt, whose"
                    + " length is %s", attendFrom, attendTo, total);
        }
        cache.reset(b);
        content = null;
        fedCount = 0;
        int reused = 0;
        if (prefixes != null && b == 1 && !everyPosition) {
            content = PrefixCache.Content.of(rows.get(0), hidden);
            PrefixCache.Hit hit = prefixes.lookup(content);
            if (hit != null) {
                cache.restore(0, hit.prefix(), hit.length());
                reused = hit.length();
            }
        }
        // every position of every row, in row order; each row's last position gives its logits
        int[] rowOf = new int[total];
        int[] posOf = new int[total];
        float[] x = new float[Math.multiplyExact(total, hidden)];
        int s = 0;
        for (int r = 0; r < b; r++) {
            int pos = 0;
            for (DecoderInput.Part part : rows.get(r).parts()) {
                if (part instanceof DecoderInput.Tokens t) {
                    for (int id : t.ids()) {
                        engine.embed(id, x, s * hidden);
                        rowOf[s] = r;
                        posOf[s++] = pos++;
                    }
                } else {
                    Features f = ((DecoderInput.Embeddings) part).features();
                    System.arraycopy(f.data(), 0, x, s * hidden, f.rows() * hidden);
                    for (int k = 0; k < f.rows(); k++) {
                        rowOf[s] = r;
                        posOf[s++] = pos++;
                    }
                }
            }
        }
        float[][] out = new float[everyPosition ? total : b][];
        for (int start = reused; start < total; start += MAX_STEPS_PER_PASS) {
            int n = Math.min(MAX_STEPS_PER_PASS, total - start);
            int[] rows0 = java.util.Arrays.copyOfRange(rowOf, start, start + n);
            int[] pos0 = java.util.Arrays.copyOfRange(posOf, start, start + n);
            boolean[] want = new boolean[n];
            for (int i = 0; i < n; i++) {
                int g = start + i;
                want[i] = everyPosition || g + 1 == total || rowOf[g + 1] != rowOf[g];
                cache.grow(rows0[i], pos0[i] + 1);
            }
            float[] xs = java.util.Arrays.copyOfRange(x, start * hidden, (start + n) * hidden);
            AttentionProbe probe = attention != null && start + n == total
                    ? new AttentionProbe(attendFrom, attendTo, engine.config().numAttentionHeads(), want)
                    : null; // the single row's last position is in the last chunk
            float[][] logits = engine.forward(xs, n, rows0, pos0, cache, want, probe);
            if (probe != null) {
                attention.add(probe.mean()[0]);
            }
            for (int i = 0; i < n; i++) {
                if (everyPosition) {
                    out[start + i] = logits[i];
                } else if (want[i]) {
                    out[rows0[i]] = logits[i];
                }
            }
        }
        prefilled = true;
        if (content != null) {
            prefixes.put(content, cache.freeze(0, total));
        }
        return out;
    }

    @Override
    public float[][] step(int[] tokens) {
        checkOpen();
        Preconditions.checkState(prefilled, "prefill must run before step");
        int b = cache.rows();
        Checks.checkArgument(tokens.length == b, "step got %s tokens for %s rows", tokens.length, b);
        if (b == 0) {
            return new float[0][]; // every row was dropped by reorder
        }
        int[] rowOf = new int[b];
        int[] posOf = new int[b];
        boolean[] want = new boolean[b];
        float[] x = new float[b * hidden];
        for (int r = 0; r < b; r++) {
            int pos = cache.length(r);
            DecoderChecks.checkRoom(r, pos, context);
            DecoderChecks.checkToken(r, tokens[r], vocab);
            engine.embed(tokens[r], x, r * hidden);
            rowOf[r] = r;
            posOf[r] = pos;
            want[r] = true;
            cache.grow(r, pos + 1);
        }
        if (content != null) {
            if (fedCount == fed.length) {
                fed = java.util.Arrays.copyOf(fed, 2 * fedCount);
            }
            fed[fedCount++] = tokens[0];
        }
        if (attention == null) {
            return engine.forward(x, b, rowOf, posOf, cache, want);
        }
        AttentionProbe probe = new AttentionProbe(attendFrom, attendTo, engine.config().numAttentionHeads(), want);
        float[][] logits = engine.forward(x, b, rowOf, posOf, cache, want, probe);
        attention.add(probe.mean()[0]); // b == 1: reorder keeps at most the single row
        return logits;
    }

    @Override
    public void reorder(int[] sources) {
        checkOpen();
        Preconditions.checkState(prefilled, "prefill must run before reorder");
        if (!(sources.length == 1 && sources[0] == 0)) {
            content = null; // the row's content is no longer one known sequence
        }
        if (attention != null && sources.length > 1) {
            throw new InvalidArgumentException("attention is recorded for one sequence, but the"
                    + " generation asked for " + sources.length + " rows (beam search or several samples)");
        }
        cache.reorder(sources);
    }

    private void checkOpen() {
        Preconditions.checkState(!closed, "the decoder is closed");
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (content != null && fedCount > 0 && cache.rows() == 1) {
                PrefixCache.Content all = content.plus(java.util.Arrays.copyOf(fed, fedCount));
                prefixes.put(all, cache.freeze(0, cache.length(0)));
            }
            content = null;
            cache.reset(0);
        }
    }
}
