package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.CheckpointException;
import org.vlalign.Checks;
import org.vlalign.InvalidArgumentException;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.Parameterized;

/**
 * The Llama causal language model ({@code LlamaForCausalLM}): token embeddings, decoder layers,
 * final norm and LM head, with weights in one model-level {@link NDManager}.
 *
 * <p>Every weight's shape is checked against the {@link LlamaConfig} while loading. The weight keys
 * are HF's ({@code model.embed_tokens.weight}, {@code model.layers.N.self_attn.q_proj.weight}, ...,
 * {@code lm_head.weight}, absent when tied) behind an optional prefix such as {@code
 * language_model.} for InstructBLIP and LLaVA checkpoints.
 *
 * <p>Thread-safe: the weights are immutable after loading (unless a trainer updates its {@link
 * #parameters()} in place, between forwards) and each forward works in managers of its own (the
 * caller's for inputs and results, the cache's for keys and values). {@link #close} releases the
 * weights; it must not race running forwards.
 *
 * <pre>{@code
 * try (TorchCheckpoint ckpt = TorchCheckpoint.open(dir);
 *         LlamaModel model = LlamaModel.load(ckpt, "", LlamaConfig.fromJson(ckpt.config()));
 *         NDManager call = model.manager().newSubManager()) {
 *     NDArray embeds = model.embedTokens(call, new long[][] {{1, 72, 325}});
 *     float[] logits = model.forward(embeds, new long[][] {{1, 1, 1}}, null, null);
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class LlamaModel implements AutoCloseable, Parameterized {

    private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);

    /** Key of the token embedding table. */
    static final String EMBED_TOKENS = "model.embed_tokens.weight";
    /** Key of the final norm. */
    static final String NORM = "model.norm.weight";
    /** Key of the LM head (absent when tied). */
    static final String LM_HEAD = "lm_head.weight";

    private final LlamaConfig config;
    private final NDManager manager;
    private final boolean ownsManager;
    private final NDArray embedTokens; // (vocab, hidden)
    private final List<LlamaDecoderLayer> layers;
    private final LlamaRmsNorm norm;
    private final NDArray lmHead; // (vocab, hidden); the embedding table when tied
    private final LlamaRotaryEmbedding rotaryEmb;
    private final List<LlamaLinear> linears; // every layer's projections, in load order
    private final NamedParameters parameters; // every weight above by checkpoint key; lm_head once if tied
    private volatile LlamaLora lora; // the attached adapter or null

    private LlamaModel(LlamaConfig config, NDManager manager, boolean ownsManager, NDArray embedTokens,
            List<LlamaDecoderLayer> layers, List<LlamaLinear> linears, LlamaRmsNorm norm, NDArray lmHead,
            NamedParameters parameters) {
        this.config = config;
        this.manager = manager;
        this.ownsManager = ownsManager;
        this.embedTokens = embedTokens;
        this.layers = List.copyOf(layers);
        this.linears = List.copyOf(linears);
        this.norm = norm;
        this.lmHead = lmHead;
        this.rotaryEmb = new LlamaRotaryEmbedding(config);
        this.parameters = parameters;
    }

    /**
     * Loads the weights into a new root manager that the model owns.
     *
     * @param checkpoint the checkpoint
     * @param prefix the weight-key prefix ({@code ""} for plain Llama, {@code "language_model."} in VLMs)
     * @param config the config
     * @return the model; close it
     * @throws CheckpointException if a weight is missing or has another shape than the config implies
     */
    public static LlamaModel load(TorchCheckpoint checkpoint, String prefix, LlamaConfig config) {
        return loadOwning(checkpoint, prefix, config, NDManager.newBaseManager());
    }

    /**
     * Loads the weights into a child of {@code parent} (for VLM composition).
     *
     * @param checkpoint the checkpoint
     * @param prefix the weight-key prefix
     * @param config the config
     * @param parent the manager whose new child owns the weights; closing it also releases them
     * @return the model
     */
    public static LlamaModel load(TorchCheckpoint checkpoint, String prefix, LlamaConfig config, NDManager parent) {
        return loadOwning(checkpoint, prefix, config, parent.newSubManager());
    }

    /** Loads the weights into a new manager the model then owns; closes the manager if loading fails. */
    private static LlamaModel loadOwning(TorchCheckpoint checkpoint, String prefix, LlamaConfig config,
            NDManager owner) {
        try {
            return load(checkpoint, prefix, config, owner, true);
        } catch (RuntimeException e) {
            owner.close();
            throw e;
        }
    }

    private static LlamaModel load(TorchCheckpoint ckpt, String prefix, LlamaConfig c, NDManager m, boolean owns) {
        long t0 = System.nanoTime();
        int mark = ckpt.loadedCount();
        long h = c.hiddenSize();
        long qDim = (long) c.numAttentionHeads() * c.headDim();
        long kvDim = (long) c.numKeyValueHeads() * c.headDim();
        long inter = c.intermediateSize();
        NDArray embed = ckpt.load(prefix + EMBED_TOKENS, m, c.vocabSize(), h);
        List<LlamaDecoderLayer> layers = new ArrayList<>();
        List<LlamaLinear> linears = new ArrayList<>();
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String lp = prefix + String.format(LlamaDecoderLayer.LAYER, i);
            LlamaLinear q = linear(ckpt, lp + LlamaAttention.Q_PROJ, c.attentionBias(), m, qDim, h);
            LlamaLinear k = linear(ckpt, lp + LlamaAttention.K_PROJ, c.attentionBias(), m, kvDim, h);
            LlamaLinear v = linear(ckpt, lp + LlamaAttention.V_PROJ, c.attentionBias(), m, kvDim, h);
            LlamaLinear o = linear(ckpt, lp + LlamaAttention.O_PROJ, c.attentionBias(), m, h, qDim);
            LlamaLinear gate = linear(ckpt, lp + LlamaMlp.GATE_PROJ, c.mlpBias(), m, inter, h);
            LlamaLinear up = linear(ckpt, lp + LlamaMlp.UP_PROJ, c.mlpBias(), m, inter, h);
            LlamaLinear down = linear(ckpt, lp + LlamaMlp.DOWN_PROJ, c.mlpBias(), m, h, inter);
            linears.addAll(List.of(q, k, v, o, gate, up, down));
            LlamaMlp mlp = new LlamaMlp(gate, up, down);
            layers.add(new LlamaDecoderLayer(i,
                    new LlamaRmsNorm(ckpt.load(lp + LlamaDecoderLayer.INPUT_LAYERNORM + ".weight", m, h), c.rmsNormEps()),
                    new LlamaAttention(c, q, k, v, o),
                    new LlamaRmsNorm(ckpt.load(lp + LlamaDecoderLayer.POST_ATTENTION_LAYERNORM + ".weight", m, h),
                            c.rmsNormEps()),
                    mlp));
        }
        LlamaRmsNorm norm = new LlamaRmsNorm(ckpt.load(prefix + NORM, m, h), c.rmsNormEps());
        NDArray lmHead;
        if (c.tieWordEmbeddings()) {
            lmHead = embed; // HF ties lm_head to embed_tokens and does not save it
        } else if (ckpt.has(prefix + LM_HEAD)) {
            lmHead = ckpt.load(prefix + LM_HEAD, m, c.vocabSize(), h);
        } else {
            throw new CheckpointException("tensor '" + prefix + LM_HEAD + "' is missing from " + ckpt.directory()
                    + " and config.json says tie_word_embeddings=false; the checkpoint is incomplete, or set "
                    + "tie_word_embeddings=true if the LM head shares the embedding table");
        }
        LOG.info("loaded Llama ({}) from {} in {} ms", c, ckpt.directory(), (System.nanoTime() - t0) / 1_000_000);
        return new LlamaModel(c, m, owns, embed, layers, linears, norm, lmHead, ckpt.loadedSince(mark));
    }

    private static LlamaLinear linear(TorchCheckpoint ckpt, String path, boolean bias, NDManager m, long out, long in) {
        NDArray w = ckpt.load(path + ".weight", m, out, in);
        return new LlamaLinear(path, w, bias ? ckpt.load(path + ".bias", m, out) : null);
    }

    /**
     * The config.
     *
     * @return the config
     */
    public LlamaConfig config() {
        return config;
    }

    /**
     * The weights by checkpoint key, with this model's prefix ({@code model.embed_tokens.weight}, ...,
     * {@code lm_head.weight} unless tied to the embedding table, which then appears once), followed, while
     * a LoRA adapter is attached, by its matrices ({@code model.layers.0.self_attn.q_proj.lora_A.weight},
     * ...; select them with {@code **.lora_*.weight}).
     *
     * @return the read-only view of the live weights
     * @since 0.2.0
     */
    @Override
    public NamedParameters parameters() {
        LlamaLora attached = lora;
        return attached == null ? parameters : NamedParameters.concat(parameters, attached.parameters());
    }

    /**
     * The checkpoint's own weights, without an attached adapter's.
     *
     * @return the read-only view
     */
    public NamedParameters baseParameters() {
        return parameters;
    }

    /**
     * The attached LoRA adapter.
     *
     * @return the adapter, or empty
     */
    public java.util.Optional<LlamaLora> lora() {
        return java.util.Optional.ofNullable(lora);
    }

    /** Every projection of every layer, in load order (for {@link LlamaLora}). */
    List<LlamaLinear> linears() {
        return linears;
    }

    /** Records the adapter {@link LlamaLora} attached (or null when it detaches). */
    void lora(LlamaLora adapter) {
        this.lora = adapter;
    }

    /**
     * The manager that owns the weights; open per-call sub-managers from it.
     *
     * @return the model manager
     */
    public NDManager manager() {
        return manager;
    }

    /**
     * Looks up token embeddings.
     *
     * @param owner owns the result
     * @param ids {@code [batch][seq]} token ids
     * @return {@code (batch, seq, hidden)}
     * @throws InvalidArgumentException if an id is outside the vocabulary
     */
    public NDArray embedTokens(NDManager owner, long[][] ids) {
        for (long[] row : ids) {
            for (long id : row) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new InvalidArgumentException("token id " + id + " is outside the vocabulary [0, "
                            + config.vocabSize() + ")");
                }
            }
        }
        NDArray idx = NdArrays.longs(owner, NdArrays.flatten(ids), ids.length, ids.length == 0 ? 0 : ids[0].length);
        NDArray out = Embedding.embedding(idx, embedTokens, SparseFormat.DENSE).singletonOrThrow(); // (batch, seq, hidden)
        out.attach(owner);
        idx.close();
        return out;
    }

    /**
     * Looks up token embeddings for one row.
     *
     * @param owner owns the result
     * @param ids token ids
     * @return {@code (1, ids.length, hidden)}
     */
    public NDArray embedTokens(NDManager owner, int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return embedTokens(owner, new long[][] {l});
    }

    /**
     * Runs the decoder stack and the final norm.
     *
     * @param inputsEmbeds {@code (batch, seq, hidden)}; its manager owns the result
     * @param attentionMask {@code [batch][seq]} for the new positions (1 real, 0 padding)
     * @param positionIds {@code [batch][seq]}, or null for {@code past + arange(seq)} (pads included, as HF
     *     without {@code position_ids})
     * @param cache the session cache (appended to), or null for a cache-free call
     * @return the normalised hidden states {@code (batch, seq, hidden)}
     */
    public NDArray hiddenStates(NDArray inputsEmbeds, long[][] attentionMask, long[][] positionIds, LlamaKvCache cache) {
        long[] shape = checkInputsEmbeds(inputsEmbeds);
        int b = (int) shape[0];
        int l = (int) shape[1];
        checkMatrix("attentionMask", attentionMask, b, l);
        int past = cache == null ? 0 : cache.length();
        Checks.checkArgument(cache == null || past == 0 || cache.batchSize() == b,
                "batch %s does not match the cache's %s rows", b, cache == null ? 0 : cache.batchSize());
        long[][] pos = positionIds;
        if (pos == null) {
            pos = new long[b][l];
            for (long[] row : pos) {
                for (int j = 0; j < l; j++) {
                    row[j] = past + j;
                }
            }
        } else {
            checkMatrix("positionIds", pos, b, l);
        }
        long[][] fullMask = concatMask(cache == null ? null : cache.mask(), attentionMask, past);
        if (cache != null) {
            cache.appendMask(attentionMask);
        }
        NDManager parent = inputsEmbeds.getManager();
        try (NDManager call = parent.newSubManager()) {
            NDArray[] cs = rotaryEmb.cosSin(call, pos); // (batch, 1, seq, headDim) each
            NDArray mask = NdArrays.floats(call, additiveMask(fullMask, past, l), b, 1, l, past + l); // (batch,1,seq,T)
            NDArray h = inputsEmbeds.duplicate(); // (batch, seq, hidden)
            h.attach(call);
            for (LlamaDecoderLayer layer : layers) {
                NDArray next = layer.forward(h, cs[0], cs[1], mask, cache);
                h.close();
                h = next;
            }
            NDArray out = norm.forward(h); // (batch, seq, hidden)
            out.attach(parent);
            return out;
        }
    }

    /**
     * A differentiable full-sequence forward for training: right-padded rows, no cache, gradients flow
     * back to {@code inputsEmbeds}.
     *
     * <p>Unlike {@link #hiddenStates}, it neither copies its input ({@code NDArray.duplicate()} detaches
     * from the autograd graph on the PyTorch engine) nor closes intermediate managers: every array the
     * backward pass reads (rotary tables, mask, activations) stays alive in {@code owner}. Arrays made by
     * {@code NDManager.create} wrap Java direct buffers, so closing them before the backward pass lets
     * the garbage collector free memory autograd still reads (seen as sporadic NaN losses).
     *
     * @param owner owns the result and everything the backward pass needs; close it after backward
     * @param inputsEmbeds {@code (batch, seq, hidden)}
     * @param attentionMask {@code [batch][seq]}: 1 for real positions, 0 for right padding
     * @return the normalised hidden states {@code (batch, seq, hidden)}
     */
    public NDArray trainingHiddenStates(NDManager owner, NDArray inputsEmbeds, long[][] attentionMask) {
        long[] shape = checkInputsEmbeds(inputsEmbeds);
        int b = (int) shape[0];
        int l = (int) shape[1];
        checkMatrix("attentionMask", attentionMask, b, l);
        long[][] positions = new long[b][l];
        for (long[] row : positions) {
            for (int j = 0; j < l; j++) {
                row[j] = j; // right padding: real tokens sit at 0..len-1
            }
        }
        NDArray[] cs = rotaryEmb.cosSin(owner, positions); // (batch, 1, seq, headDim) each
        NDArray mask = NdArrays.floats(owner, additiveMask(attentionMask, 0, l), b, 1, l, l); // (batch, 1, seq, seq)
        NDArray h = inputsEmbeds; // (batch, seq, hidden)
        for (LlamaDecoderLayer layer : layers) {
            h = layer.forward(h, cs[0], cs[1], mask, null);
        }
        return norm.forward(h); // (batch, seq, hidden)
    }

    /**
     * Projects hidden states to logits.
     *
     * @param hidden {@code (..., hidden)}; its manager owns the result
     * @return {@code (..., vocab)}
     */
    public NDArray logits(NDArray hidden) {
        return NdArrays.linear(hidden, lmHead, null);
    }

    /**
     * The full forward, returning every position's logits as plain Java (for parity and tests).
     *
     * @param inputsEmbeds {@code (batch, seq, hidden)}
     * @param attentionMask {@code [batch][seq]}
     * @param positionIds {@code [batch][seq]} or null for {@code past + arange(seq)}
     * @param cache the session cache or null
     * @return logits, row-major {@code (batch, seq, vocab)}
     */
    public float[] forward(NDArray inputsEmbeds, long[][] attentionMask, long[][] positionIds, LlamaKvCache cache) {
        try (NDManager call = inputsEmbeds.getManager().newSubManager()) {
            NDArray in = inputsEmbeds.duplicate();
            in.attach(call);
            NDArray hidden = hiddenStates(in, attentionMask, positionIds, cache);
            return logits(hidden).toFloatArray();
        }
    }

    /**
     * The logits of each row's last position.
     *
     * @param inputsEmbeds {@code (batch, seq, hidden)}
     * @param attentionMask {@code [batch][seq]}
     * @param positionIds {@code [batch][seq]} or null
     * @param cache the session cache or null
     * @return {@code [batch][vocab]}
     */
    public float[][] lastLogits(NDArray inputsEmbeds, long[][] attentionMask, long[][] positionIds, LlamaKvCache cache) {
        try (NDManager call = inputsEmbeds.getManager().newSubManager()) {
            NDArray in = inputsEmbeds.duplicate();
            in.attach(call);
            NDArray hidden = hiddenStates(in, attentionMask, positionIds, cache); // (batch, seq, hidden)
            long l = hidden.getShape().get(1);
            NDArray last = hidden.get(":, " + (l - 1) + ":" + l + ", :"); // (batch, 1, hidden)
            return NdArrays.rows(logits(last).toFloatArray(), (int) hidden.getShape().get(0));
        }
    }

    /**
     * HF's generation positions: {@code cumsum(mask) − 1} continuing from {@code start}, pads set to 1.
     *
     * @param start per row, the number of real tokens already in the cache
     * @param mask {@code [batch][seq]} for the new positions
     * @return {@code [batch][seq]} position ids
     */
    public static long[][] generationPositions(long[] start, long[][] mask) {
        long[][] out = new long[mask.length][];
        for (int i = 0; i < mask.length; i++) {
            long count = start == null ? 0 : start[i];
            out[i] = new long[mask[i].length];
            for (int j = 0; j < mask[i].length; j++) {
                if (mask[i][j] != 0) {
                    out[i][j] = count++;
                } else {
                    out[i][j] = 1;
                }
            }
        }
        return out;
    }

    private static long[][] concatMask(long[][] past, long[][] now, int pastLen) {
        if (past == null || pastLen == 0) {
            return now;
        }
        long[][] out = new long[now.length][];
        for (int i = 0; i < now.length; i++) {
            out[i] = Arrays.copyOf(past[i], pastLen + now[i].length);
            System.arraycopy(now[i], 0, out[i], pastLen, now[i].length);
        }
        return out;
    }

    /** Causal + padding additive mask: 0 where key j is visible from query i, float32.min elsewhere. */
    private static float[] additiveMask(long[][] fullMask, int past, int l) {
        int b = fullMask.length;
        int t = past + l;
        float[] m = new float[b * l * t]; // (batch, 1, seq, past + seq)
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < l; i++) {
                int base = (r * l + i) * t;
                for (int j = 0; j < t; j++) {
                    boolean visible = j <= past + i && fullMask[r][j] != 0;
                    m[base + j] = visible ? 0f : NdArrays.FLOAT32_MIN;
                }
            }
        }
        return m;
    }

    /** Checks that embeddings are {@code (batch, seq, hidden)} and returns their shape. */
    private long[] checkInputsEmbeds(NDArray inputsEmbeds) {
        long[] shape = inputsEmbeds.getShape().getShape();
        Checks.checkArgument(shape.length == 3 && shape[2] == config.hiddenSize(),
                "inputsEmbeds must be (batch, seq, %s) but is %s", config.hiddenSize(), Arrays.toString(shape));
        return shape;
    }

    private static void checkMatrix(String name, long[][] m, int rows, int cols) {
        Checks.checkArgument(m != null && m.length == rows, "%s must have %s rows", name, rows);
        for (long[] r : m) {
            Checks.checkArgument(r.length == cols, "%s rows must have %s columns but one has %s", name, cols, r.length);
        }
    }

    /** Releases the weights. Idempotent. */
    @Override
    public void close() {
        if (ownsManager && manager.isOpen()) {
            manager.close();
        }
    }
}
