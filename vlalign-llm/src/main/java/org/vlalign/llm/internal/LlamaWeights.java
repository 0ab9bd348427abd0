package org.vlalign.llm.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.CheckpointException;
import org.vlalign.WeightFormat;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.DtypeConversion;
import org.vlalign.core.checkpoint.SafetensorsDtype;
import org.vlalign.core.checkpoint.TensorInfo;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.llm.LoraAdapter;

/**
 * The weights of a {@code LlamaForCausalLM} in the formats a {@link WeightFormat} chooses: the linear
 * layers as {@link Matrix}es (fp32, 16-bit, Q8 or Q4), norms as float arrays.
 *
 * <p>Loading reads each tensor once, in row chunks of at most {@value #CHUNK_BYTES} bytes, with positional
 * reads rather than memory maps (the checkpoint's pages stay in the page cache, not in this process's
 * resident memory), converts each chunk to float32 and encodes it straight into its matrix: no tensor is
 * ever held whole in a wider format than its target. Chunks are spread over the thread team.
 *
 * <p>Immutable after loading; thread-safe for reading.
 */
public final class LlamaWeights {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaWeights.class);
    /** The largest piece of a tensor read at once. */
    static final int CHUNK_BYTES = 8 << 20;

    static final String EMBED_TOKENS = "model.embed_tokens.weight";
    static final String NORM = "model.norm.weight";
    static final String LM_HEAD = "lm_head.weight";
    static final String LAYER = "model.layers.%d.";

    /** One decoder layer. Biases are null when the config has none. */
    public static final class Layer {
        final float[] inputNorm; // (hidden)
        final float[] postNorm; // (hidden)
        final Matrix q; // (heads * headDim, hidden)
        final Matrix k; // (kvHeads * headDim, hidden)
        final Matrix v; // (kvHeads * headDim, hidden)
        final Matrix o; // (hidden, heads * headDim)
        final Matrix gate; // (intermediate, hidden)
        final Matrix up; // (intermediate, hidden)
        final Matrix down; // (hidden, intermediate)
        final float[] qBias;
        final float[] kBias;
        final float[] vBias;
        final float[] oBias;
        final float[] gateBias;
        final float[] upBias;
        final float[] downBias;

        Layer(float[] inputNorm, float[] postNorm, Matrix[] m, float[][] biases) {
            this.inputNorm = inputNorm;
            this.postNorm = postNorm;
            this.q = m[0];
            this.k = m[1];
            this.v = m[2];
            this.o = m[3];
            this.gate = m[4];
            this.up = m[5];
            this.down = m[6];
            this.qBias = biases[0];
            this.kBias = biases[1];
            this.vBias = biases[2];
            this.oBias = biases[3];
            this.gateBias = biases[4];
            this.upBias = biases[5];
            this.downBias = biases[6];
        }
    }

    final LlamaConfig config;
    final Matrix embed; // (vocab, hidden)
    final Matrix lmHead; // (vocab, hidden); the same object as embed when tied
    final float[] norm; // (hidden)
    final Layer[] layers;
    private final long bytes;

    private LlamaWeights(LlamaConfig config, Matrix embed, Matrix lmHead, float[] norm, Layer[] layers) {
        this.config = config;
        this.embed = embed;
        this.lmHead = lmHead;
        this.norm = norm;
        this.layers = layers;
        long b = embed.bytes() + (lmHead == embed ? 0 : lmHead.bytes()) + 4L * norm.length;
        for (Layer l : layers) {
            for (Matrix m : new Matrix[] {l.q, l.k, l.v, l.o, l.gate, l.up, l.down}) {
                b += m.bytes();
            }
            b += 8L * l.inputNorm.length;
        }
        this.bytes = b;
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
     * The bytes every weight takes in memory.
     *
     * @return bytes
     */
    public long bytes() {
        return bytes;
    }

    /**
     * The number of weights, the tied head counted once.
     *
     * @param c a config
     * @return the parameter count
     */
    public static long parameterCount(LlamaConfig c) {
        long h = c.hiddenSize();
        long q = (long) c.numAttentionHeads() * c.headDim();
        long kv = (long) c.numKeyValueHeads() * c.headDim();
        long perLayer = h * q + 2 * h * kv + q * h + 3 * h * c.intermediateSize() + 2 * h;
        long embed = (long) c.vocabSize() * h;
        return c.numHiddenLayers() * perLayer + embed * (c.tieWordEmbeddings() ? 1 : 2) + h;
    }

    /**
     * The format a {@link WeightFormat} resolves to for a model: {@link WeightFormat#AUTO} is fp32 up to two
     * billion parameters and Q8 above.
     *
     * @param requested the requested format
     * @param c the config
     * @return a concrete format
     */
    public static WeightFormat resolve(WeightFormat requested, LlamaConfig c) {
        if (requested != WeightFormat.AUTO) {
            return requested;
        }
        return parameterCount(c) <= 2_000_000_000L ? WeightFormat.FP32 : WeightFormat.Q8;
    }

    /**
     * Bytes the weights will take in a format, for checking memory before loading.
     *
     * @param c the config
     * @param format a concrete format
     * @return the estimate
     */
    public static long estimateBytes(LlamaConfig c, WeightFormat format) {
        long embed = (long) c.vocabSize() * c.hiddenSize() * (c.tieWordEmbeddings() ? 1 : 2);
        long rest = parameterCount(c) - embed;
        double bitsRest = switch (format) {
            case FP32, AUTO -> 32;
            case BF16 -> 16;
            case Q8 -> 8.5;
            case Q4 -> 4.5;
        };
        double bitsEmbed = format == WeightFormat.Q4 ? 8.5 : bitsRest;
        return (long) (rest * bitsRest / 8 + embed * bitsEmbed / 8);
    }

    /**
     * Loads the weights of a checkpoint.
     *
     * @param ckpt the checkpoint
     * @param prefix the key prefix ({@code ""}, or {@code "language_model."} inside a VLM)
     * @param c the config
     * @param format a concrete format (not AUTO)
     * @param lora an adapter to merge into the weights before they are encoded, or null
     * @param cache whether to read the encoded weights from, or write them to, a {@link WeightCache} file
     * @param team the threads that decode chunks
     * @return the weights
     * @throws CheckpointException if a tensor is missing, of another shape, or not a float type
     */
    public static LlamaWeights load(Checkpoint ckpt, String prefix, LlamaConfig c, WeightFormat format,
            LoraAdapter lora, boolean cache, Parallel team) {
        long t0 = System.nanoTime();
        int h = c.hiddenSize();
        int qDim = c.numAttentionHeads() * c.headDim();
        int kvDim = c.numKeyValueHeads() * c.headDim();
        int inter = c.intermediateSize();
        Loader loader = new Loader(ckpt, prefix, format, lora, team);
        Matrix embed = loader.matrix(prefix + EMBED_TOKENS, c.vocabSize(), h, true);
        Layer[] layers = new Layer[c.numHiddenLayers()];
        for (int i = 0; i < layers.length; i++) {
            String lp = prefix + String.format(Locale.ROOT, LAYER, i);
            Matrix[] m = {
                loader.matrix(lp + "self_attn.q_proj.weight", qDim, h, false),
                loader.matrix(lp + "self_attn.k_proj.weight", kvDim, h, false),
                loader.matrix(lp + "self_attn.v_proj.weight", kvDim, h, false),
                loader.matrix(lp + "self_attn.o_proj.weight", h, qDim, false),
                loader.matrix(lp + "mlp.gate_proj.weight", inter, h, false),
                loader.matrix(lp + "mlp.up_proj.weight", inter, h, false),
                loader.matrix(lp + "mlp.down_proj.weight", h, inter, false),
            };
            boolean ab = c.attentionBias();
            boolean mb = c.mlpBias();
            float[][] biases = {
                ab ? loader.vector(lp + "self_attn.q_proj.bias", qDim) : null,
                ab ? loader.vector(lp + "self_attn.k_proj.bias", kvDim) : null,
                ab ? loader.vector(lp + "self_attn.v_proj.bias", kvDim) : null,
                ab ? loader.vector(lp + "self_attn.o_proj.bias", h) : null,
                mb ? loader.vector(lp + "mlp.gate_proj.bias", inter) : null,
                mb ? loader.vector(lp + "mlp.up_proj.bias", inter) : null,
                mb ? loader.vector(lp + "mlp.down_proj.bias", h) : null,
            };
            layers[i] = new Layer(loader.vector(lp + "input_layernorm.weight", h),
                    loader.vector(lp + "post_attention_layernorm.weight", h), m, biases);
        }
        float[] norm = loader.vector(prefix + NORM, h);
        Matrix head;
        if (c.tieWordEmbeddings()) {
            head = embed; // HF ties lm_head to embed_tokens and does not save it
        } else if (ckpt.has(prefix + LM_HEAD)) {
            head = loader.matrix(prefix + LM_HEAD, c.vocabSize(), h, true);
        } else {
            throw new CheckpointException("tensor '" + prefix + LM_HEAD + "' is missing from " + ckpt.directory()
                    + " and config.json says tie_word_embeddings=false; the checkpoint is incomplete, or set "
                    + "tie_word_embeddings=true if the LM head shares the embedding table");
        }
        LlamaWeights w = new LlamaWeights(c, embed, head, norm, layers);
        List<Matrix> order = WeightCache.order(embed, layers, head);
        Path file = cache ? WeightCache.file(ckpt, prefix, format, lora == null ? null : lora.directory()) : null;
        String key = file == null ? null
                : WeightCache.key(ckpt, prefix, format, lora == null ? null : lora.directory());
        String source;
        if (file != null && WeightCache.read(file, key, order)) {
            source = "the weight cache " + file;
        } else {
            loader.fillAll();
            source = ckpt.directory().toString();
            if (file != null) {
                WeightCache.write(file, key, order);
                source += " (cached in " + file + ")";
            }
        }
        LOG.info("loaded Llama weights from {} as {} ({} MB){} in {} ms{}", source, format,
                w.bytes() / (1 << 20), lora == null ? "" : " with " + lora + " merged", (System.nanoTime() - t0) / 1_000_000,
                loader.fallbacks.isEmpty() ? "" : "; kept 16-bit (columns not a multiple of 32): " + loader.fallbacks);
        return w;
    }

    /** Reads tensors chunk by chunk into their target format. Not thread-safe (one per load). */
    private static final class Loader {
        private final Checkpoint ckpt;
        private final String prefix;
        private final WeightFormat format;
        private final LoraAdapter lora;
        private final Parallel team;
        private final List<String> fallbacks = new ArrayList<>();
        // per member, reused for every tensor: the load allocates no garbage in proportion to the model
        private final ByteBuffer[] bytes;
        private final float[][] floats;

        Loader(Checkpoint ckpt, String prefix, WeightFormat format, LoraAdapter lora, Parallel team) {
            this.ckpt = ckpt;
            this.prefix = prefix;
            this.format = format;
            this.lora = lora;
            this.team = team;
            this.bytes = new ByteBuffer[team.threads()];
            this.floats = new float[team.threads()][];
        }

        private ByteBuffer bytes(int member, int size) {
            if (bytes[member] == null || bytes[member].capacity() < size) {
                bytes[member] = ByteBuffer.allocate(Math.max(size, CHUNK_BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            }
            ByteBuffer b = bytes[member];
            b.clear();
            b.limit(size);
            return b;
        }

        private float[] floats(int member, int size) {
            if (floats[member] == null || floats[member].length < size) {
                floats[member] = new float[Math.max(size, CHUNK_BYTES / 2)];
            }
            return floats[member];
        }

        float[] vector(String name, int n) {
            TensorInfo t = info(name, n);
            ckpt.beginRead(t);
            float[] v = ckpt.loadFloats(name);
            ckpt.endRead(t);
            return v;
        }

        private final List<Object[]> planned = new ArrayList<>(); // {name, matrix}, filled by fillAll

        /** Allocates a matrix in its target format; {@link #fillAll} reads it (unless the cache does). */
        Matrix matrix(String name, int rows, int cols, boolean outer) {
            TensorInfo t = info(name, rows, cols);
            Matrix m = Matrix.allocate(target(t.type(), outer, cols, name), rows, cols);
            planned.add(new Object[] {name, m});
            return m;
        }

        void fillAll() {
            for (Object[] p : planned) {
                fill((String) p[0], (Matrix) p[1]);
            }
        }

        private void fill(String name, Matrix m) {
            int rows = m.rows();
            int cols = m.cols();
            TensorInfo t = info(name, rows, cols);
            ckpt.beginRead(t);
            String loraKey = lora == null ? null
                    : lora.adapts(name) ? name
                    : name.startsWith(prefix) && lora.adapts(name.substring(prefix.length()))
                            ? name.substring(prefix.length()) : null;
            int es = t.type().byteSize();
            int rowsPerChunk = Math.max(1, CHUNK_BYTES / (es * cols));
            int chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
            team.forRange(chunks, 1, (lo, hi, member) -> {
                for (int c = lo; c < hi; c++) {
                    int r0 = c * rowsPerChunk;
                    int n = Math.min(rowsPerChunk, rows - r0);
                    ByteBuffer raw = bytes(member, n * cols * es);
                    float[] values = floats(member, n * cols);
                    ckpt.reader(t).readBytes(t, (long) r0 * cols * es, raw);
                    raw.flip();
                    DtypeConversion.toFloat(raw, t.type(), FloatBuffer.wrap(values), n * cols);
                    if (loraKey != null) {
                        lora.addDelta(loraKey, values, 0, r0, n, cols); // merged before encoding, in any format
                    }
                    m.setRows(r0, values, 0, n);
                }
            });
            ckpt.endRead(t);
        }

        private Matrix.Format target(SafetensorsDtype source, boolean outer, int cols, String name) {
            Matrix.Format sixteen = source == SafetensorsDtype.F16 ? Matrix.Format.F16 : Matrix.Format.BF16;
            Matrix.Format f = switch (format) {
                case FP32, AUTO -> Matrix.Format.F32;
                case BF16 -> sixteen;
                case Q8 -> Matrix.Format.Q8;
                case Q4 -> outer ? Matrix.Format.Q8 : Matrix.Format.Q4;
            };
            if (!Matrix.fits(f, cols)) {
                fallbacks.add(name);
                return sixteen;
            }
            return f;
        }

        private TensorInfo info(String name, long... shape) {
            TensorInfo t = ckpt.info(name);
            Checkpoint.checkShape(t, shape);
            if (!t.type().isFloat()) {
                throw new CheckpointException("tensor '" + name + "' in " + t.file() + " has dtype " + t.dtype()
                        + " but a float tensor was expected");
            }
            return t;
        }
    }
}
