package org.vlalign.llm;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/** Writes tiny random Llama checkpoints (hidden 32, 2 layers by default) for tests. */
public final class TinyLlama {

    /** How the weights are stored. */
    public enum Dtype { F32, BF16, F16 }

    private int vocab = 64;
    private int hidden = 32;
    private int intermediate = 48;
    private int layers = 2;
    private int heads = 4;
    private int kvHeads = 4;
    private int maxPos = 256;
    private boolean tied;
    private boolean bias;
    private JsonObject ropeScaling;
    private long seed = 42;
    private Dtype dtype = Dtype.F32;
    private int shards = 1;
    private boolean omitLmHead;
    private double initStd; // 0: variance-preserving scales; else Hugging Face's init (every weight this std, norms 1)

    /** Creates the default config. */
    public static TinyLlama builder() {
        return new TinyLlama();
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

    public TinyLlama kvHeads(int n) {
        kvHeads = n;
        return this;
    }

    public TinyLlama heads(int n) {
        heads = n;
        return this;
    }

    public TinyLlama tied(boolean t) {
        tied = t;
        return this;
    }

    public TinyLlama bias(boolean b) {
        bias = b;
        return this;
    }

    public TinyLlama maxPos(int n) {
        maxPos = n;
        return this;
    }

    public TinyLlama seed(long s) {
        seed = s;
        return this;
    }

    public TinyLlama dtype(Dtype d) {
        dtype = d;
        return this;
    }

    public TinyLlama shards(int n) {
        shards = n;
        return this;
    }

    public TinyLlama omitLmHead() {
        omitLmHead = true;
        return this;
    }

    public TinyLlama intermediate(int n) {
        intermediate = n;
        return this;
    }

    public TinyLlama ropeScaling(String type, double factor) {
        ropeScaling = new JsonObject();
        ropeScaling.addProperty("type", type);
        ropeScaling.addProperty("factor", factor);
        return this;
    }

    public TinyLlama ropeScaling(JsonObject rs) {
        ropeScaling = rs;
        return this;
    }

    /** The config.json content (HF-style, defaults omitted where HF would). */
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
        if (ropeScaling != null) {
            c.add("rope_scaling", ropeScaling);
        }
        return c;
    }

    /** The random weights, name → {values, shape}. */
    public Map<String, Object[]> weights() {
        Random r = new Random(seed);
        Map<String, Object[]> w = new LinkedHashMap<>();
        int hd = hidden / heads;
        put(w, r, "model.embed_tokens.weight", 1.0, vocab, hidden);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            put(w, r, p + "self_attn.q_proj.weight", 1 / Math.sqrt(hidden), heads * hd, hidden);
            put(w, r, p + "self_attn.k_proj.weight", 1 / Math.sqrt(hidden), kvHeads * hd, hidden);
            put(w, r, p + "self_attn.v_proj.weight", 1 / Math.sqrt(hidden), kvHeads * hd, hidden);
            put(w, r, p + "self_attn.o_proj.weight", 1 / Math.sqrt(heads * hd), hidden, heads * hd);
            if (bias) {
                put(w, r, p + "self_attn.q_proj.bias", 0.1, heads * hd);
                put(w, r, p + "self_attn.k_proj.bias", 0.1, kvHeads * hd);
                put(w, r, p + "self_attn.v_proj.bias", 0.1, kvHeads * hd);
                put(w, r, p + "self_attn.o_proj.bias", 0.1, hidden);
            }
            put(w, r, p + "mlp.gate_proj.weight", 1 / Math.sqrt(hidden), intermediate, hidden);
            put(w, r, p + "mlp.up_proj.weight", 1 / Math.sqrt(hidden), intermediate, hidden);
            put(w, r, p + "mlp.down_proj.weight", 1 / Math.sqrt(intermediate), hidden, intermediate);
            if (bias) {
                put(w, r, p + "mlp.gate_proj.bias", 0.1, intermediate);
                put(w, r, p + "mlp.up_proj.bias", 0.1, intermediate);
                put(w, r, p + "mlp.down_proj.bias", 0.1, hidden);
            }
            putNorm(w, r, p + "input_layernorm.weight", hidden);
            putNorm(w, r, p + "post_attention_layernorm.weight", hidden);
        }
        putNorm(w, r, "model.norm.weight", hidden);
        if (!tied && !omitLmHead) {
            put(w, r, "lm_head.weight", 2.5 / Math.sqrt(hidden), vocab, hidden);
        }
        return w;
    }

    private void put(Map<String, Object[]> w, Random r, String name, double scale, long... shape) {
        double std = initStd > 0 ? initStd : scale;
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        w.put(name, new Object[] {v, shape});
    }

    private void putNorm(Map<String, Object[]> w, Random r, String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = initStd > 0 ? 1f : (float) (1 + 0.1 * r.nextGaussian());
        }
        w.put(name, new Object[] {v, new long[] {n}});
    }

    /** Writes config.json and the weights (single file or shards with an index) into {@code dir}. */
    public Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config().toString(), StandardCharsets.UTF_8);
        Map<String, Object[]> w = weights();
        if (shards <= 1) {
            writeShard(dir.resolve("model.safetensors"), w);
            return dir;
        }
        JsonObject weightMap = new JsonObject();
        int i = 0;
        int per = (w.size() + shards - 1) / shards;
        Map<String, Object[]> shard = new LinkedHashMap<>();
        int shardNo = 1;
        for (Map.Entry<String, Object[]> e : w.entrySet()) {
            String file = String.format("model-%05d-of-%05d.safetensors", shardNo, shards);
            shard.put(e.getKey(), e.getValue());
            weightMap.addProperty(e.getKey(), file);
            if (++i % per == 0 || i == w.size()) {
                writeShard(dir.resolve(file), shard);
                shard = new LinkedHashMap<>();
                shardNo++;
            }
        }
        JsonObject index = new JsonObject();
        index.add("metadata", new JsonObject());
        index.add("weight_map", weightMap);
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString(), StandardCharsets.UTF_8);
        return dir;
    }

    private void writeShard(Path file, Map<String, Object[]> w) {
        SafetensorsWriter sw = SafetensorsWriter.create().metadata("format", "pt");
        for (Map.Entry<String, Object[]> e : w.entrySet()) {
            float[] v = (float[]) e.getValue()[0];
            long[] shape = (long[]) e.getValue()[1];
            switch (dtype) {
                case F32 -> sw.addF32(e.getKey(), v, shape);
                case BF16 -> sw.addBf16(e.getKey(), v, shape);
                case F16 -> sw.addF16(e.getKey(), v, shape);
            }
        }
        sw.write(file);
    }
}
