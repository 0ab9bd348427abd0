package org.vlalign.llm.internal;

import org.vlalign.llm.LlamaConfig;
import org.vlalign.llm.MatmulBackend;
import org.vlalign.llm.RopeFrequencies;

/**
 * The Llama forward pass on the JVM, as Hugging Face transformers 4.45 computes {@code LlamaForCausalLM}
 * in float32: RMSNorm, rotary embeddings on the halves of each head ({@code rotate_half}), grouped-query
 * attention with a causal mask and float32 softmax, SiLU-gated MLP, final norm, LM head.
 *
 * <p>One call runs a batch of <em>steps</em>: each step is one position of one cached row, given as an
 * input embedding. Every linear layer multiplies all steps of the call at once, so its weights stream from
 * memory once per call however many rows and positions there are; attention then runs per step over its
 * own row's cached positions up to its own position. Rows never need padding: each has its own positions,
 * which equals Hugging Face's left-padded batches with an attention mask.
 *
 * <p>Work is split over a {@link Parallel} team: matrix rows for the linear layers, (step, head) pairs for
 * attention. Products with many steps (long prompts) go to a {@link MatmulBackend} when one is on the class
 * path (libtorch's GEMM with {@code vlalign-torch}), the team decoding tiles of weight rows for it. Thread-safe: the weights are immutable and each call has its own buffers; the cache belongs
 * to the caller's session.
 */
public final class LlamaEngine {
    private static final Kernels K = KernelsProvider.get();
    /** The float32 copy of weight rows handed to the backend at once (16 MB). */
    private static final int BACKEND_TILE_FLOATS = 4 << 20;

    /**
     * Backend tiles returned after use: a prefill makes seven products a layer, and a fresh 16 MB tile for each
     * was garbage the collector answered by growing the heap (a LLaVA-7B prompt took the process from 9 to
     * 16 GB). One tile per concurrent prefill is kept.
     */
    private final java.util.concurrent.ConcurrentLinkedQueue<float[]> tiles =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final LlamaWeights w;
    private final LlamaConfig c;
    private final RopeFrequencies rope;
    private final Parallel team;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int qDim;
    private final int kvDim;
    private final int inter;
    private final float eps;
    private final MatmulBackend backend; // null: the JVM kernels for every product
    private final boolean halfCache;

    /**
     * Creates an engine over loaded weights.
     *
     * @param weights the weights (shared, not closed by the engine)
     * @param team the threads to split work over
     * @param halfCache keep keys and values in fp16 (half the cache's memory; for weights that are already
     *     rounded to 16 bits or fewer)
     */
    public LlamaEngine(LlamaWeights weights, Parallel team, boolean halfCache) {
        this.halfCache = halfCache;
        this.w = weights;
        this.c = weights.config();
        this.rope = new RopeFrequencies(c);
        this.team = team;
        this.hidden = c.hiddenSize();
        this.heads = c.numAttentionHeads();
        this.kvHeads = c.numKeyValueHeads();
        this.headDim = c.headDim();
        this.qDim = heads * headDim;
        this.kvDim = kvHeads * headDim;
        this.inter = c.intermediateSize();
        this.eps = (float) c.rmsNormEps();
        this.backend = MatmulBackends.find();
    }

    /**
     * The config.
     *
     * @return the config
     */
    public LlamaConfig config() {
        return c;
    }

    /**
     * The weights.
     *
     * @return the weights
     */
    public LlamaWeights weights() {
        return w;
    }

    /**
     * Where long prompts' products run.
     *
     * @return the backend's name, or "JVM kernels"
     */
    public String prefillBackend() {
        return backend == null ? "JVM kernels" : backend.name() + " from " + backend.minVectors() + " positions";
    }

    /**
     * A new, empty cache for this model.
     *
     * @return the cache
     */
    public KvCache newCache() {
        return new KvCache(c.numHiddenLayers(), kvDim, halfCache);
    }

    /**
     * Writes token {@code id}'s input embedding into {@code x} at {@code off}.
     *
     * @param id the token id, in range
     * @param x the destination
     * @param off the offset
     */
    public void embed(int id, float[] x, int off) {
        w.embed.row(id, x, off);
    }

    /**
     * Runs steps through the model and returns the logits of the steps marked in {@code wantLogits}.
     *
     * <p>Before the call, each step's row must have been grown to hold its position ({@link
     * KvCache#grow}); positions of one row must be given in increasing order.
     *
     * @param x {@code n · hidden} input embeddings, one per step; overwritten
     * @param n the number of steps
     * @param rowOf each step's cache row
     * @param posOf each step's position in its row
     * @param cache the cache
     * @param wantLogits which steps need logits (usually each row's last)
     * @return {@code [step][vocab]} logits, null for steps not wanted
     */
    public float[][] forward(float[] x, int n, int[] rowOf, int[] posOf, KvCache cache, boolean[] wantLogits) {
        return forward(x, n, rowOf, posOf, cache, wantLogits, null);
    }

    /**
     * {@link #forward(float[], int, int[], int[], KvCache, boolean[])}, recording attention probabilities into
     * {@code probe} when it is not null (the only cost when it is null is one check per attention task).
     *
     * @param x {@code n · hidden} input embeddings, one per step; overwritten
     * @param n the number of steps
     * @param rowOf each step's cache row
     * @param posOf each step's position in its row
     * @param cache the cache
     * @param wantLogits which steps need logits
     * @param probe records attention, or null
     * @return {@code [step][vocab]} logits, null for steps not wanted
     */
    float[][] forward(float[] x, int n, int[] rowOf, int[] posOf, KvCache cache, boolean[] wantLogits,
            AttentionProbe probe) {
        float[] xb = new float[n * hidden]; // (n, hidden) normed
        float[] q = new float[n * qDim]; // (n, heads * headDim)
        float[] k = new float[n * kvDim]; // (n, kvHeads * headDim)
        float[] v = new float[n * kvDim];
        float[] att = new float[n * qDim]; // (n, heads * headDim) attention output
        float[] gate = new float[n * inter]; // (n, intermediate)
        float[] up = new float[n * inter];
        float[] proj = new float[n * hidden]; // (n, hidden)
        float[][] scratch = scratch(Matrix.scratchSize(Math.max(hidden, inter)));
        int maxPos = 0;
        for (int s = 0; s < n; s++) {
            maxPos = Math.max(maxPos, posOf[s]);
        }
        float[] cos = new float[n * headDim / 2]; // (n, headDim / 2)
        float[] sin = new float[n * headDim / 2];
        ropeTables(posOf, n, maxPos, cos, sin);
        float[][] scores = new float[team.threads()][maxPos + 1];
        for (int l = 0; l < w.layers.length; l++) {
            LlamaWeights.Layer layer = w.layers[l];
            // attention block: x += o(attention(rope(q(norm(x))), rope(k(norm(x))), v(norm(x))))
            rmsNorm(x, xb, n, layer.inputNorm);
            linear(xb, n, new Matrix[] {layer.q, layer.k, layer.v}, new float[][] {q, k, v}, scratch);
            addBias(q, n, layer.qBias);
            addBias(k, n, layer.kBias);
            addBias(v, n, layer.vBias);
            rotate(q, n, heads, cos, sin);
            rotate(k, n, kvHeads, cos, sin);
            for (int s = 0; s < n; s++) {
                cache.put(rowOf[s], l, posOf[s], k, s * kvDim, v, s * kvDim);
            }
            attention(l, q, att, n, rowOf, posOf, cache, scores, probe);
            if (probe != null) {
                probe.layerDone();
            }
            linear(att, n, qDim, layer.o, proj, scratch);
            addBias(proj, n, layer.oBias);
            add(x, proj, n * hidden);
            // MLP block: x += down(silu(gate(norm(x))) * up(norm(x)))
            rmsNorm(x, xb, n, layer.postNorm);
            linear(xb, n, new Matrix[] {layer.gate, layer.up}, new float[][] {gate, up}, scratch);
            addBias(gate, n, layer.gateBias);
            addBias(up, n, layer.upBias);
            K.siluMul(gate, up, n * inter);
            linear(gate, n, inter, layer.down, proj, scratch);
            addBias(proj, n, layer.downBias);
            add(x, proj, n * hidden);
        }
        return logits(x, n, wantLogits, scratch);
    }

    private float[][] scratch(int width) {
        float[][] s = new float[team.threads()][];
        for (int i = 0; i < s.length; i++) {
            s[i] = new float[width];
        }
        return s;
    }

    /** Final norm and LM head for the wanted steps only. */
    private float[][] logits(float[] x, int n, boolean[] wantLogits, float[][] scratch) {
        int count = 0;
        for (int s = 0; s < n; s++) {
            count += wantLogits[s] ? 1 : 0;
        }
        int wanted = count;
        float[] xn = new float[wanted * hidden]; // (wanted, hidden)
        int[] stepOf = new int[wanted];
        for (int s = 0, i = 0; s < n; s++) {
            if (wantLogits[s]) {
                rmsNormRow(x, s * hidden, xn, i * hidden, w.norm);
                stepOf[i++] = s;
            }
        }
        int vocab = c.vocabSize();
        float[] out = new float[wanted * vocab]; // (wanted, vocab)
        Matrix head = w.lmHead;
        if (backend != null && wanted >= backend.minVectors()) {
            throughBackend(xn, wanted, head, out, vocab, 0);
        } else {
            team.forRange(vocab, 16, (lo, hi, m) -> head.matmul(xn, hidden, wanted, out, vocab, lo, lo, hi, scratch[m]));
        }
        float[][] result = new float[n][];
        for (int i = 0; i < wanted; i++) {
            result[stepOf[i]] = java.util.Arrays.copyOfRange(out, i * vocab, (i + 1) * vocab);
        }
        return result;
    }

    /** {@code out = x W^T} over the team, splitting W's rows, or through the backend for many vectors. */
    private void linear(float[] x, int n, int width, Matrix m, float[] out, float[][] scratch) {
        int rows = m.rows();
        if (backend != null && n >= backend.minVectors()) {
            throughBackend(x, n, m, out, rows, 0);
            return;
        }
        team.forRange(rows, Matrix.ROW_GROUP, (lo, hi, member) -> m.matmul(x, width, n, out, rows, lo, lo, hi, scratch[member]));
    }

    /**
     * {@code out = x W^T} through the backend: tiles of W's rows are decoded to float32 by the team and
     * multiplied by the backend; the tile bounds the float32 copy whatever the matrix's size.
     */
    private void throughBackend(float[] x, int n, Matrix m, float[] out, int ldy, int yOff) {
        int rows = m.rows();
        int cols = m.cols();
        int tileRows = Math.min(rows, Math.max(Matrix.ROW_GROUP, BACKEND_TILE_FLOATS / cols));
        int need = tileRows * cols;
        float[] pooled = tiles.poll();
        float[] tile = pooled != null && pooled.length >= need
                ? pooled : new float[Math.max(need, BACKEND_TILE_FLOATS)]; // (tileRows, cols) at the front
        try (MatmulBackend.Product product = backend.begin(x, n, cols)) {
            for (int r0 = 0; r0 < rows; r0 += tileRows) {
                int nr = Math.min(tileRows, rows - r0);
                int first = r0;
                team.forRange(nr, 1, (lo, hi, member) -> {
                    for (int r = lo; r < hi; r++) {
                        m.row(first + r, tile, r * cols);
                    }
                });
                product.multiply(tile, nr, out, ldy, yOff + r0);
            }
        } finally {
            tiles.offer(tile);
        }
    }

    /**
     * Several projections of the same input in one parallel step, {@code outs[i] = x ms[i]^T} (q, k and v; gate
     * and up): the team splits the matrices' rows taken one after another, or the backend multiplies each
     * matrix for many vectors.
     */
    private void linear(float[] x, int n, Matrix[] ms, float[][] outs, float[][] scratch) {
        if (backend != null && n >= backend.minVectors()) {
            for (int i = 0; i < ms.length; i++) {
                throughBackend(x, n, ms[i], outs[i], ms[i].rows(), 0);
            }
            return;
        }
        int width = ms[0].cols();
        int total = 0;
        for (Matrix m : ms) {
            total += m.rows();
        }
        team.forRange(total, Matrix.ROW_GROUP, (lo, hi, member) -> {
            int first = 0; // where matrix i's rows start in the joined range
            for (int i = 0; i < ms.length; i++) {
                int rows = ms[i].rows();
                int from = Math.max(lo, first) - first;
                int to = Math.min(hi, first + rows) - first;
                if (from < to) {
                    ms[i].matmul(x, width, n, outs[i], rows, from, from, to, scratch[member]);
                }
                first += rows;
            }
        });
    }

    /** Attention of every (step, head) over its row's positions up to its own. */
    private void attention(int layer, float[] q, float[] out, int n, int[] rowOf, int[] posOf, KvCache cache,
            float[][] scores, AttentionProbe probe) {
        int group = heads / kvHeads;
        float scale = (float) Math.sqrt(headDim);
        team.forRange(n * heads, 1, (lo, hi, member) -> {
            float[] sc = scores[member];
            for (int task = lo; task < hi; task++) {
                int s = task / heads;
                int h = task % heads;
                int kvOff = (h / group) * headDim;
                int qOff = s * qDim + h * headDim;
                int row = rowOf[s];
                int last = posOf[s];
                float max = Float.NEGATIVE_INFINITY;
                for (int p0 = 0; p0 <= last; p0 += KvCache.BLOCK) { // one block of positions at a time
                    KvCache.Block b = cache.block(row, layer, p0 / KvCache.BLOCK);
                    int end = Math.min(last + 1, p0 + KvCache.BLOCK);
                    for (int p = p0, o = kvOff; p < end; p++, o += kvDim) {
                        float score = (b.k != null ? K.dot(q, qOff, b.k, o, headDim)
                                : K.dot16(b.hk, o, true, q, qOff, headDim)) / scale;
                        sc[p] = score;
                        max = Math.max(max, score);
                    }
                }
                float sum = K.expShifted(sc, last + 1, max);
                if (probe != null) { // once per (step, head), outside the loops over positions
                    probe.add(s, h, sc, last, sum);
                }
                int oOff = s * qDim + h * headDim;
                java.util.Arrays.fill(out, oOff, oOff + headDim, 0f);
                for (int p0 = 0; p0 <= last; p0 += KvCache.BLOCK) {
                    KvCache.Block b = cache.block(row, layer, p0 / KvCache.BLOCK);
                    int end = Math.min(last + 1, p0 + KvCache.BLOCK);
                    for (int p = p0, o = kvOff; p < end; p++, o += kvDim) {
                        if (b.v != null) {
                            K.axpy(sc[p] / sum, b.v, o, out, oOff, headDim);
                        } else {
                            K.axpy16(sc[p] / sum, b.hv, o, true, out, oOff, headDim);
                        }
                    }
                }
            }
        });
    }

    /** cos/sin of each step's position times each frequency, float32 products as Hugging Face computes them. */
    private void ropeTables(int[] posOf, int n, int maxPos, float[] cos, float[] sin) {
        float[] inv = rope.invFreqFor(maxPos);
        int half = headDim / 2;
        for (int s = 0; s < n; s++) {
            float pos = posOf[s];
            for (int i = 0; i < half; i++) {
                float f = inv[i] * pos;
                cos[s * half + i] = (float) Math.cos(f);
                sin[s * half + i] = (float) Math.sin(f);
            }
        }
    }

    /** {@code x·cos + rotate_half(x)·sin} on each head's halves. */
    private void rotate(float[] t, int n, int nHeads, float[] cos, float[] sin) {
        int half = headDim / 2;
        int width = nHeads * headDim;
        for (int s = 0; s < n; s++) {
            for (int h = 0; h < nHeads; h++) {
                int o = s * width + h * headDim;
                for (int i = 0; i < half; i++) {
                    float c0 = cos[s * half + i];
                    float s0 = sin[s * half + i];
                    float a = t[o + i];
                    float b = t[o + half + i];
                    t[o + i] = a * c0 - b * s0;
                    t[o + half + i] = b * c0 + a * s0;
                }
            }
        }
    }

    private void rmsNorm(float[] x, float[] out, int n, float[] weight) {
        for (int s = 0; s < n; s++) {
            rmsNormRow(x, s * hidden, out, s * hidden, weight);
        }
    }

    /** {@code weight · x / sqrt(mean(x²) + eps)}, as HF's LlamaRMSNorm in float32. */
    private void rmsNormRow(float[] x, int xOff, float[] out, int outOff, float[] weight) {
        float ss = K.dot(x, xOff, x, xOff, hidden) / hidden;
        float inv = (float) (1.0 / Math.sqrt(ss + eps));
        for (int i = 0; i < hidden; i++) {
            out[outOff + i] = weight[i] * (x[xOff + i] * inv);
        }
    }

    private static void addBias(float[] t, int n, float[] bias) {
        if (bias == null) {
            return;
        }
        int width = bias.length;
        for (int s = 0; s < n; s++) {
            for (int i = 0; i < width; i++) {
                t[s * width + i] += bias[i];
            }
        }
    }

    private static void add(float[] x, float[] y, int len) {
        for (int i = 0; i < len; i++) {
            x[i] += y[i];
        }
    }
}
