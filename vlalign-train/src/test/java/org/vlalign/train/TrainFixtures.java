package org.vlalign.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.vlalign.Features;
import org.vlalign.core.train.FeatureSource;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/** Tiny random Llama checkpoints with a WordLevel tokenizer, synthetic image features and captions, for training tests. */
final class TrainFixtures {

    static final int HIDDEN = 32;
    static final int FEATURE_DIM = 16;
    static final int IMAGE_TOKENS = 4;
    static final List<String> WORDS = List.of("<unk>", "<s>", "</s>", "[INST]", "[/INST]", "a", "an", "the", "red",
            "blue", "green", "yellow", "cat", "dog", "bird", "car", "on", "under", "near", "mat", "table", "tree",
            "road", "is", "what", "color", "sits", "runs", "flies", "big", "small", "two", "three", "of", "and",
            "photo", "with", "hat", "ball", "box");
    static final int BOS = 1;
    static final int EOS = 2;

    private TrainFixtures() {}

    static int id(String word) {
        int i = WORDS.indexOf(word);
        if (i < 0) {
            throw new IllegalArgumentException(word);
        }
        return i;
    }

    /** Writes config.json, model.safetensors, tokenizer.json and tokenizer_config.json. */
    static Path writeLlama(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        int vocab = WORDS.size();
        int inter = 64;
        int layers = 2;
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "llama");
        c.addProperty("vocab_size", vocab);
        c.addProperty("hidden_size", HIDDEN);
        c.addProperty("intermediate_size", inter);
        c.addProperty("num_hidden_layers", layers);
        c.addProperty("num_attention_heads", 4);
        c.addProperty("num_key_value_heads", 2);
        c.addProperty("max_position_embeddings", 128);
        c.addProperty("bos_token_id", BOS);
        c.addProperty("eos_token_id", EOS);
        Files.writeString(dir.resolve("config.json"), c.toString(), StandardCharsets.UTF_8);
        Random r = new Random(seed);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        w.addF32("model.embed_tokens.weight", gaussian(r, vocab * HIDDEN, 0.25), vocab, HIDDEN);
        int kv = 2 * (HIDDEN / 4);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            w.addF32(p + "self_attn.q_proj.weight", gaussian(r, HIDDEN * HIDDEN, 0.18), HIDDEN, HIDDEN);
            w.addF32(p + "self_attn.k_proj.weight", gaussian(r, kv * HIDDEN, 0.18), kv, HIDDEN);
            w.addF32(p + "self_attn.v_proj.weight", gaussian(r, kv * HIDDEN, 0.18), kv, HIDDEN);
            w.addF32(p + "self_attn.o_proj.weight", gaussian(r, HIDDEN * HIDDEN, 0.18), HIDDEN, HIDDEN);
            w.addF32(p + "mlp.gate_proj.weight", gaussian(r, inter * HIDDEN, 0.18), inter, HIDDEN);
            w.addF32(p + "mlp.up_proj.weight", gaussian(r, inter * HIDDEN, 0.18), inter, HIDDEN);
            w.addF32(p + "mlp.down_proj.weight", gaussian(r, HIDDEN * inter, 0.125), HIDDEN, inter);
            w.addF32(p + "input_layernorm.weight", norm(r), HIDDEN);
            w.addF32(p + "post_attention_layernorm.weight", norm(r), HIDDEN);
        }
        w.addF32("model.norm.weight", norm(r), HIDDEN);
        w.addF32("lm_head.weight", gaussian(r, vocab * HIDDEN, 0.35), vocab, HIDDEN);
        w.write(dir.resolve("model.safetensors"));
        writeTokenizer(dir);
        return dir;
    }

    private static void writeTokenizer(Path dir) throws IOException {
        JsonObject vocab = new JsonObject();
        for (int i = 0; i < WORDS.size(); i++) {
            vocab.addProperty(WORDS.get(i), i);
        }
        JsonArray added = new JsonArray();
        for (int i = 0; i < 3; i++) {
            JsonObject t = new JsonObject();
            t.addProperty("id", i);
            t.addProperty("content", WORDS.get(i));
            t.addProperty("single_word", false);
            t.addProperty("lstrip", false);
            t.addProperty("rstrip", false);
            t.addProperty("normalized", false);
            t.addProperty("special", true);
            added.add(t);
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordLevel");
        model.add("vocab", vocab);
        model.addProperty("unk_token", "<unk>");
        JsonObject pre = new JsonObject();
        pre.addProperty("type", "WhitespaceSplit");
        JsonObject tok = new JsonObject();
        tok.addProperty("version", "1.0");
        tok.add("added_tokens", added);
        tok.add("pre_tokenizer", pre);
        tok.add("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), tok.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"add_bos_token\": true}", StandardCharsets.UTF_8);
    }

    private static float[] gaussian(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }

    private static float[] norm(Random r) {
        float[] v = new float[HIDDEN];
        for (int i = 0; i < HIDDEN; i++) {
            v[i] = (float) (1 + 0.1 * r.nextGaussian());
        }
        return v;
    }

    /** Deterministic synthetic "extractor output" per image path: (IMAGE_TOKENS, FEATURE_DIM). */
    static Features featuresOf(Path image) {
        Random r = new Random(image.toString().hashCode() * 31L + 7);
        return Features.of(gaussian(r, IMAGE_TOKENS * FEATURE_DIM, 1.0), IMAGE_TOKENS, FEATURE_DIM);
    }

    /** A feature source over {@link #featuresOf}. */
    static FeatureSource features() {
        return e -> featuresOf(e.image());
    }

    static TrainingExample caption(String image, String caption) {
        return TrainingExample.caption(Path.of("/images", image), caption);
    }

    /** Image i gets a caption made of words chosen by i, so an adaptor must read the features. */
    static List<TrainingExample> generated(int images, int copies) {
        String[] colors = {"red", "blue", "green", "yellow"};
        String[] things = {"cat", "dog", "bird", "car"};
        String[] places = {"mat", "table", "tree", "road"};
        List<TrainingExample> out = new java.util.ArrayList<>();
        for (int c = 0; c < copies; c++) {
            for (int i = 0; i < images; i++) {
                out.add(caption("img" + i + ".jpg",
                        "a " + colors[i % 4] + " " + things[(i / 4 + i) % 4] + " on the " + places[(i + 2) % 4]));
            }
        }
        return out;
    }
}
