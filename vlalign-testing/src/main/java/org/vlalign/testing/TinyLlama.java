package org.vlalign.testing;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes tiny random Llama checkpoints ({@code LlamaForCausalLM}: hidden 32, 2 layers by default) for tests,
 * optionally with a word-level tokenizer, and adds the same weights below a prefix to a composite
 * checkpoint (the language model of LLaVA or InstructBLIP).
 *
 * <p>Weights are drawn in Hugging Face's parameter order (embedding; per layer attention, MLP, the two norms;
 * final norm; head) with variance-preserving scales, or with {@link #hfInit(double)} as Hugging Face
 * initialises a model. Not thread-safe.
 *
 * @since 0.1.0
 */
public final class TinyLlama {
    /** The token words every Llama fixture vocabulary starts with: unknown, BOS, EOS. */
    public static final List<String> SPECIALS = List.of("<unk>", "<s>", "</s>");
    /** The id of {@code <s>}. */
    public static final int BOS = 1;
    /** The id of {@code </s>}. */
    public static final int EOS = 2;

    private int vocab = 64;
    private int hidden = 32;
    private int intermediate = 48;
    private int layers = 2;
    private int heads = 4;
    private int kvHeads = 4;
    private int maxPos = 256;
    private boolean tied;
    private boolean bias;
    private boolean specialTokenIds;
    private JsonObject ropeScaling;
    private long seed = 42;
    private RandomWeights.Dtype dtype = RandomWeights.Dtype.F32;
    private int shards = 1;
    private boolean omitLmHead;
    private double initStd; // 0: variance-preserving scales; else Hugging Face's init (every weight this std, norms 1)
    private double[] stds; // null, or fixed standard deviations: embedding, projections, down projection, head
    private WordLevelTokenizer tokenizer;

    private TinyLlama() {}

    /**
     * Starts from the default config (vocabulary 64, hidden 32, MLP 48, 2 layers, 4 heads, seed 42).
     *
     * @return the builder
     */
    public static TinyLlama builder() {
        return new TinyLlama();
    }

    /**
     * Starts a Llama that shares the {@link TinyLlava} chat vocabulary and tokenizer: MLP 64, 4 heads, 2
     * key/value heads, BOS and EOS named in the config, a flatter embedding and head (standard deviations 0.5
     * and 0.4) on which a few dozen adaptor steps learn one-word answers.
     *
     * @return the builder
     */
    public static TinyLlama chat() {
        return builder().tokenizer(TinyLlava.chatTokenizer(TinyClip.WORDS)).intermediate(64).kvHeads(2)
                .stds(0.5, 1 / Math.sqrt(32), 1 / Math.sqrt(64), 0.4).specialTokenIds();
    }

    /**
     * Sets the main sizes (the 134M-parameter shape is {@code sizes(32000, 768, 2048, 12, 12)}).
     *
     * @param vocab vocabulary
     * @param hidden hidden size
     * @param intermediate MLP width
     * @param layers decoder layers
     * @param heads attention heads (key/value heads follow)
     * @return this
     */
    public TinyLlama sizes(int vocab, int hidden, int intermediate, int layers, int heads) {
        this.vocab = vocab;
        this.hidden = hidden;
        this.intermediate = intermediate;
        this.layers = layers;
        this.heads = heads;
        this.kvHeads = heads;
        return this;
    }

    /**
     * Draws every weight with one standard deviation and sets norms to 1, as Hugging Face initialises a
     * model from its config ({@code initializer_range}, 0.02 for Llama).
     *
     * @param std the standard deviation
     * @return this
     */
    public TinyLlama hfInit(double std) {
        this.initStd = std;
        return this;
    }

    /**
     * Draws the weights with fixed standard deviations instead of the variance-preserving scales (norms stay
     * {@code 1 + N(0, 0.01)}), for tests whose thresholds were tuned on such a model.
     *
     * @param embedding the embedding's
     * @param projection the attention projections' and the MLP's gate and up projections'
     * @param down the MLP's down projection's
     * @param head the language-model head's
     * @return this
     */
    public TinyLlama stds(double embedding, double projection, double down, double head) {
        this.stds = new double[] {embedding, projection, down, head};
        return this;
    }

    /**
     * Writes a word-level tokenizer beside the weights, with a Llama {@code tokenizer_config.json}, and sizes
     * the vocabulary to it.
     *
     * @param t the tokenizer
     * @return this
     */
    public TinyLlama tokenizer(WordLevelTokenizer t) {
        this.tokenizer = t;
        this.vocab = t.size();
        return this;
    }

    /**
     * Names {@link #BOS} and {@link #EOS} in {@code config.json}, as released Llama configs do.
     *
     * @return this
     */
    public TinyLlama specialTokenIds() {
        specialTokenIds = true;
        return this;
    }

    /** @param n key/value heads (grouped-query attention when fewer than the heads) @return this */
    public TinyLlama kvHeads(int n) {
        kvHeads = n;
        return this;
    }

    /** @param n attention heads @return this */
    public TinyLlama heads(int n) {
        heads = n;
        return this;
    }

    /** @param t whether the head shares the embedding @return this */
    public TinyLlama tied(boolean t) {
        tied = t;
        return this;
    }

    /** @param b whether projections have biases @return this */
    public TinyLlama bias(boolean b) {
        bias = b;
        return this;
    }

    /** @param n {@code max_position_embeddings} @return this */
    public TinyLlama maxPos(int n) {
        maxPos = n;
        return this;
    }

    /** @param s the weight seed @return this */
    public TinyLlama seed(long s) {
        seed = s;
        return this;
    }

    /** @param d how the weights are stored @return this */
    public TinyLlama dtype(RandomWeights.Dtype d) {
        dtype = d;
        return this;
    }

    /** @param n how many safetensors files @return this */
    public TinyLlama shards(int n) {
        shards = n;
        return this;
    }

    /** Leaves {@code lm_head.weight} out of an untied checkpoint, a broken folder. @return this */
    public TinyLlama omitLmHead() {
        omitLmHead = true;
        return this;
    }

    /** @param n the MLP width @return this */
    public TinyLlama intermediate(int n) {
        intermediate = n;
        return this;
    }

    /**
     * Sets a {@code rope_scaling} of the given type and factor.
     *
     * @param type e.g. {@code linear}
     * @param factor the factor
     * @return this
     */
    public TinyLlama ropeScaling(String type, double factor) {
        ropeScaling = new JsonObject();
        ropeScaling.addProperty("type", type);
        ropeScaling.addProperty("factor", factor);
        return this;
    }

    /** @param rs the whole {@code rope_scaling} object @return this */
    public TinyLlama ropeScaling(JsonObject rs) {
        ropeScaling = rs;
        return this;
    }

    /**
     * Llama 3 frequency scaling ({@code "rope_type": "llama3"}) with the Llama 3.1 frequency factors, low 1 and
     * high 4.
     *
     * @param factor {@code factor}
     * @param originalMaxPositions {@code original_max_position_embeddings}
     * @return this
     */
    public TinyLlama llama3RopeScaling(double factor, int originalMaxPositions) {
        ropeScaling = new JsonObject();
        ropeScaling.addProperty("rope_type", "llama3");
        ropeScaling.addProperty("factor", factor);
        ropeScaling.addProperty("low_freq_factor", 1.0);
        ropeScaling.addProperty("high_freq_factor", 4.0);
        ropeScaling.addProperty("original_max_position_embeddings", originalMaxPositions);
        return this;
    }

    /**
     * Returns the {@code config.json} content (Hugging Face style, defaults omitted where HF would).
     *
     * @return a new object
     */
    public JsonObject config() {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "llama");
        c.addProperty("vocab_size", vocab);
        c.addProperty("hidden_size", hidden);
        c.addProperty("intermediate_size", intermediate);
        c.addProperty("num_hidden_layers", layers);
        c.addProperty("num_attention_heads", heads);
        c.addProperty("num_key_value_heads", kvHeads);
        c.addProperty("max_position_embeddings", maxPos);
        c.addProperty("tie_word_embeddings", tied);
        c.addProperty("attention_bias", bias);
        c.addProperty("mlp_bias", bias);
        c.addProperty("pad_token_id", 0);
        if (specialTokenIds) {
            c.addProperty("bos_token_id", BOS);
            c.addProperty("eos_token_id", EOS);
        }
        if (ropeScaling != null) {
            c.add("rope_scaling", ropeScaling);
        }
        return c;
    }

    /**
     * Returns the random weights of {@link #seed(long)}.
     *
     * @return the weights, keys without prefix
     */
    public RandomWeights weights() {
        RandomWeights w = RandomWeights.seeded(seed);
        addWeights(w, "");
        return w;
    }

    /**
     * Adds the weights, drawn from {@code w}'s generator, below {@code prefix}.
     *
     * @param w the weights of a composite checkpoint
     * @param prefix e.g. {@code language_model.}
     */
    public void addWeights(RandomWeights w, String prefix) {
        int hd = hidden / heads;
        double embedding = stds == null ? 1.0 : stds[0];
        double projection = stds == null ? 1 / Math.sqrt(hidden) : stds[1];
        double out = stds == null ? 1 / Math.sqrt(heads * hd) : stds[1];
        double down = stds == null ? 1 / Math.sqrt(intermediate) : stds[2];
        double head = stds == null ? 2.5 / Math.sqrt(hidden) : stds[3];
        put(w, prefix + "model.embed_tokens.weight", embedding, vocab, hidden);
        for (int i = 0; i < layers; i++) {
            String p = prefix + "model.layers." + i + ".";
            put(w, p + "self_attn.q_proj.weight", projection, heads * hd, hidden);
            put(w, p + "self_attn.k_proj.weight", projection, kvHeads * hd, hidden);
            put(w, p + "self_attn.v_proj.weight", projection, kvHeads * hd, hidden);
            put(w, p + "self_attn.o_proj.weight", out, hidden, heads * hd);
            if (bias) {
                put(w, p + "self_attn.q_proj.bias", 0.1, heads * hd);
                put(w, p + "self_attn.k_proj.bias", 0.1, kvHeads * hd);
                put(w, p + "self_attn.v_proj.bias", 0.1, kvHeads * hd);
                put(w, p + "self_attn.o_proj.bias", 0.1, hidden);
            }
            put(w, p + "mlp.gate_proj.weight", projection, intermediate, hidden);
            put(w, p + "mlp.up_proj.weight", projection, intermediate, hidden);
            put(w, p + "mlp.down_proj.weight", down, hidden, intermediate);
            if (bias) {
                put(w, p + "mlp.gate_proj.bias", 0.1, intermediate);
                put(w, p + "mlp.up_proj.bias", 0.1, intermediate);
                put(w, p + "mlp.down_proj.bias", 0.1, hidden);
            }
            norm(w, p + "input_layernorm.weight");
            norm(w, p + "post_attention_layernorm.weight");
        }
        norm(w, prefix + "model.norm.weight");
        if (!tied && !omitLmHead) {
            put(w, prefix + "lm_head.weight", head, vocab, hidden);
        }
    }

    private void put(RandomWeights w, String name, double scale, long... shape) {
        w.normal(name, initStd > 0 ? initStd : scale, shape);
    }

    private void norm(RandomWeights w, String name) {
        if (initStd > 0) {
            float[] ones = new float[hidden];
            java.util.Arrays.fill(ones, 1f);
            w.put(name, ones, hidden);
        } else {
            w.nearOne(name, 0.1, hidden);
        }
    }

    /**
     * Writes {@code config.json}, the weights (one file or shards with an index) and the tokenizer if one
     * was given into {@code dir}.
     *
     * @param dir the folder (created)
     * @return {@code dir}
     */
    public Path write(Path dir) {
        weights().write(dir, dtype, shards);
        TextFiles.write(dir.resolve("config.json"), config().toString());
        if (tokenizer != null) {
            tokenizer.write(dir);
            WordLevelTokenizer.writeLlamaConfig(dir);
        }
        return dir;
    }
}
