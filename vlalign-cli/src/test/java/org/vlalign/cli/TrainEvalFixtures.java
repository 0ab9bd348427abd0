package org.vlalign.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/**
 * Tiny random checkpoints for the train/eval command tests: a Llama folder, a LLaVA-1.5 folder (CLIP tower at
 * 16 px with 8 px patches, MLP projector, 2-layer Llama) and a CLIP folder with a text tower; word-level
 * tokenizers; coloured PNG images.
 */
final class TrainEvalFixtures {

    /** Words every tokenizer here knows. */
    static final List<String> WORDS = List.of("a", "the", "red", "blue", "green", "yellow", "white", "black",
            "square", "picture", "photo", "of", "what", "colour", "color", "is", "it", "this", "on", "big", "small",
            "cat", "dog");

    static final int LM_HIDDEN = 32;
    private static final int LM_INTER = 64;
    private static final int VISION_HIDDEN = 16;
    private static final int IMAGE = 16;
    private static final int PATCH = 8;

    private TrainEvalFixtures() {}

    /** The Llama vocabulary: specials, chat punctuation, words, and LLaVA's image token last. */
    static List<String> llamaVocab() {
        List<String> v = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "[", "]", "/", "inst", "user",
                "assistant", ":", "?", ".", ","));
        v.addAll(WORDS);
        v.add("<image>");
        return v;
    }

    /** A stand-alone Llama folder (config, weights, tokenizer). */
    static Path writeLlama(Path dir, long seed) throws IOException {
        List<String> vocab = llamaVocab();
        Random r = new Random(seed);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        llamaWeights(w, r, "", vocab.size());
        JsonObject config = llamaConfig(vocab.size());
        config.addProperty("bos_token_id", 1);
        config.addProperty("eos_token_id", 2);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
        w.write(dir.resolve("model.safetensors"));
        llamaTokenizer(dir, vocab);
        return dir;
    }

    /** A LLaVA-1.5 folder. */
    static Path writeLlava(Path dir, long seed) throws IOException {
        List<String> vocab = llamaVocab();
        int imageToken = vocab.size() - 1;
        JsonObject config = new JsonObject();
        config.add("architectures", strings("LlavaForConditionalGeneration"));
        config.addProperty("model_type", "llava");
        config.addProperty("image_token_index", imageToken);
        config.addProperty("image_seq_length", (IMAGE / PATCH) * (IMAGE / PATCH));
        config.addProperty("pad_token_id", 0);
        config.add("text_config", llamaConfig(vocab.size()));
        config.add("vision_config", visionConfig());
        Random r = new Random(seed);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        visionTower(w, r, "vision_tower.vision_model.");
        String p = "multi_modal_projector.";
        w.addF32(p + "linear_1.weight", normal(r, LM_HIDDEN * VISION_HIDDEN, 1 / Math.sqrt(VISION_HIDDEN)),
                LM_HIDDEN, VISION_HIDDEN);
        w.addF32(p + "linear_1.bias", normal(r, LM_HIDDEN, 0.05), LM_HIDDEN);
        w.addF32(p + "linear_2.weight", normal(r, LM_HIDDEN * LM_HIDDEN, 1 / Math.sqrt(LM_HIDDEN)),
                LM_HIDDEN, LM_HIDDEN);
        w.addF32(p + "linear_2.bias", normal(r, LM_HIDDEN, 0.05), LM_HIDDEN);
        llamaWeights(w, r, "language_model.", vocab.size());
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
        w.write(dir.resolve("model.safetensors"));
        preprocessor(dir);
        llamaTokenizer(dir, vocab);
        return dir;
    }

    /** A CLIP folder ({@code CLIPModel}) with a shared 16-wide embedding space. */
    static Path writeClip(Path dir, long seed) throws IOException {
        List<String> vocab = new ArrayList<>();
        vocab.add("[UNK]");
        vocab.addAll(WORDS);
        vocab.add("<|startoftext|>");
        vocab.add("<|endoftext|>");
        int sot = vocab.size() - 2;
        int eot = vocab.size() - 1;
        int textHidden = 16;
        int projection = 16;
        int positions = 24;
        JsonObject text = new JsonObject();
        text.addProperty("hidden_size", textHidden);
        text.addProperty("intermediate_size", 2 * textHidden);
        text.addProperty("num_hidden_layers", 1);
        text.addProperty("num_attention_heads", 2);
        text.addProperty("max_position_embeddings", positions);
        text.addProperty("vocab_size", vocab.size());
        text.addProperty("bos_token_id", sot);
        text.addProperty("eos_token_id", eot);
        text.addProperty("projection_dim", projection);
        JsonObject vision = visionConfig();
        vision.addProperty("projection_dim", projection);
        JsonObject config = new JsonObject();
        config.add("architectures", strings("CLIPModel"));
        config.addProperty("model_type", "clip");
        config.addProperty("projection_dim", projection);
        config.add("text_config", text);
        config.add("vision_config", vision);
        Random r = new Random(seed);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        w.addF32("logit_scale", new float[] {2.6592f});
        w.addF32("text_model.embeddings.token_embedding.weight", normal(r, vocab.size() * textHidden, 1),
                vocab.size(), textHidden);
        w.addF32("text_model.embeddings.position_embedding.weight", normal(r, positions * textHidden, 0.3),
                positions, textHidden);
        clipEncoder(w, r, "text_model.encoder.layers.", textHidden, 1);
        norm(w, r, "text_model.final_layer_norm.", textHidden);
        w.addF32("text_projection.weight", normal(r, projection * textHidden, 1 / Math.sqrt(textHidden)),
                projection, textHidden);
        visionTower(w, r, "vision_model.");
        w.addF32("visual_projection.weight", normal(r, projection * VISION_HIDDEN, 1 / Math.sqrt(VISION_HIDDEN)),
                projection, VISION_HIDDEN);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
        w.write(dir.resolve("model.safetensors"));
        preprocessor(dir);
        wordTokenizer(dir, vocab, List.of(0, sot, eot), sot, eot);
        return dir;
    }

    /** A {@code size}×{@code size} PNG: a background colour with a centred square of another colour. */
    static Path image(Path file, Color background, Color square, int size) throws IOException {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                boolean inside = x >= size / 4 && x < 3 * size / 4 && y >= size / 4 && y < 3 * size / 4;
                img.setRGB(x, y, (inside ? square : background).getRGB());
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    private static JsonObject llamaConfig(int vocab) {
        JsonObject c = new JsonObject();
        c.addProperty("model_type", "llama");
        c.addProperty("hidden_size", LM_HIDDEN);
        c.addProperty("intermediate_size", LM_INTER);
        c.addProperty("num_hidden_layers", 2);
        c.addProperty("num_attention_heads", 4);
        c.addProperty("num_key_value_heads", 2);
        c.addProperty("vocab_size", vocab);
        c.addProperty("max_position_embeddings", 256);
        c.addProperty("pad_token_id", 0);
        return c;
    }

    private static void llamaWeights(SafetensorsWriter w, Random r, String prefix, int vocab) {
        int kv = LM_HIDDEN / 2; // 2 key/value heads of 4: grouped-query attention
        double s = 1 / Math.sqrt(LM_HIDDEN);
        w.addF32(prefix + "model.embed_tokens.weight", normal(r, vocab * LM_HIDDEN, 0.5), vocab, LM_HIDDEN);
        for (int i = 0; i < 2; i++) {
            String p = prefix + "model.layers." + i + ".";
            w.addF32(p + "input_layernorm.weight", around1(r, LM_HIDDEN), LM_HIDDEN);
            w.addF32(p + "self_attn.q_proj.weight", normal(r, LM_HIDDEN * LM_HIDDEN, s), LM_HIDDEN, LM_HIDDEN);
            w.addF32(p + "self_attn.k_proj.weight", normal(r, kv * LM_HIDDEN, s), kv, LM_HIDDEN);
            w.addF32(p + "self_attn.v_proj.weight", normal(r, kv * LM_HIDDEN, s), kv, LM_HIDDEN);
            w.addF32(p + "self_attn.o_proj.weight", normal(r, LM_HIDDEN * LM_HIDDEN, s), LM_HIDDEN, LM_HIDDEN);
            w.addF32(p + "post_attention_layernorm.weight", around1(r, LM_HIDDEN), LM_HIDDEN);
            w.addF32(p + "mlp.gate_proj.weight", normal(r, LM_INTER * LM_HIDDEN, s), LM_INTER, LM_HIDDEN);
            w.addF32(p + "mlp.up_proj.weight", normal(r, LM_INTER * LM_HIDDEN, s), LM_INTER, LM_HIDDEN);
            w.addF32(p + "mlp.down_proj.weight", normal(r, LM_HIDDEN * LM_INTER, 1 / Math.sqrt(LM_INTER)),
                    LM_HIDDEN, LM_INTER);
        }
        w.addF32(prefix + "model.norm.weight", around1(r, LM_HIDDEN), LM_HIDDEN);
        w.addF32(prefix + "lm_head.weight", normal(r, vocab * LM_HIDDEN, 0.4), vocab, LM_HIDDEN);
    }

    private static JsonObject visionConfig() {
        JsonObject v = new JsonObject();
        v.addProperty("model_type", "clip_vision_model");
        v.addProperty("hidden_size", VISION_HIDDEN);
        v.addProperty("intermediate_size", 2 * VISION_HIDDEN);
        v.addProperty("num_hidden_layers", 2);
        v.addProperty("num_attention_heads", 2);
        v.addProperty("image_size", IMAGE);
        v.addProperty("patch_size", PATCH);
        v.addProperty("hidden_act", "quick_gelu");
        return v;
    }

    private static void visionTower(SafetensorsWriter w, Random r, String prefix) {
        int positions = 1 + (IMAGE / PATCH) * (IMAGE / PATCH);
        int patchIn = 3 * PATCH * PATCH;
        w.addF32(prefix + "embeddings.class_embedding", normal(r, VISION_HIDDEN, 1), VISION_HIDDEN);
        w.addF32(prefix + "embeddings.patch_embedding.weight", normal(r, VISION_HIDDEN * patchIn,
                1 / Math.sqrt(patchIn)), VISION_HIDDEN, 3, PATCH, PATCH);
        w.addF32(prefix + "embeddings.position_embedding.weight", normal(r, positions * VISION_HIDDEN, 0.3),
                positions, VISION_HIDDEN);
        norm(w, r, prefix + "pre_layrnorm.", VISION_HIDDEN);
        clipEncoder(w, r, prefix + "encoder.layers.", VISION_HIDDEN, 2);
        norm(w, r, prefix + "post_layernorm.", VISION_HIDDEN);
    }

    private static void clipEncoder(SafetensorsWriter w, Random r, String prefix, int hidden, int layers) {
        double s = 1 / Math.sqrt(hidden);
        for (int i = 0; i < layers; i++) {
            String p = prefix + i + ".";
            norm(w, r, p + "layer_norm1.", hidden);
            norm(w, r, p + "layer_norm2.", hidden);
            for (String name : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                w.addF32(p + "self_attn." + name + ".weight", normal(r, hidden * hidden, s), hidden, hidden);
                w.addF32(p + "self_attn." + name + ".bias", normal(r, hidden, 0.05), hidden);
            }
            w.addF32(p + "mlp.fc1.weight", normal(r, 2 * hidden * hidden, s), 2 * hidden, hidden);
            w.addF32(p + "mlp.fc1.bias", normal(r, 2 * hidden, 0.05), 2 * hidden);
            w.addF32(p + "mlp.fc2.weight", normal(r, 2 * hidden * hidden, 1 / Math.sqrt(2.0 * hidden)), hidden,
                    2 * hidden);
            w.addF32(p + "mlp.fc2.bias", normal(r, hidden, 0.05), hidden);
        }
    }

    private static void norm(SafetensorsWriter w, Random r, String prefix, int hidden) {
        w.addF32(prefix + "weight", around1(r, hidden), hidden);
        w.addF32(prefix + "bias", normal(r, hidden, 0.05), hidden);
    }

    private static void preprocessor(Path dir) throws IOException {
        JsonObject p = new JsonObject();
        JsonObject crop = new JsonObject();
        crop.addProperty("height", IMAGE);
        crop.addProperty("width", IMAGE);
        p.add("crop_size", crop);
        JsonObject size = new JsonObject();
        size.addProperty("shortest_edge", IMAGE);
        p.add("size", size);
        p.addProperty("do_center_crop", true);
        p.addProperty("do_convert_rgb", true);
        p.addProperty("do_normalize", true);
        p.addProperty("do_rescale", true);
        p.addProperty("do_resize", true);
        p.addProperty("image_processor_type", "CLIPImageProcessor");
        p.addProperty("resample", 3);
        p.addProperty("rescale_factor", 1 / 255.0);
        JsonArray mean = new JsonArray();
        JsonArray std = new JsonArray();
        for (int i = 0; i < 3; i++) {
            mean.add(0.5);
            std.add(0.25);
        }
        p.add("image_mean", mean);
        p.add("image_std", std);
        Files.writeString(dir.resolve("preprocessor_config.json"), p.toString(), StandardCharsets.UTF_8);
    }

    private static void llamaTokenizer(Path dir, List<String> vocab) throws IOException {
        wordTokenizer(dir, vocab, List.of(0, 1, 2, vocab.size() - 1), -1, -1);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\","
                + " \"unk_token\": \"<unk>\", \"add_bos_token\": true}", StandardCharsets.UTF_8);
    }

    /** Lower-cases, splits on whitespace and punctuation, maps words; {@code sot}/{@code eot} wrap if >= 0. */
    private static void wordTokenizer(Path dir, List<String> vocab, List<Integer> specials, int sot, int eot)
            throws IOException {
        JsonObject ids = new JsonObject();
        for (int i = 0; i < vocab.size(); i++) {
            ids.addProperty(vocab.get(i), i);
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordLevel");
        model.add("vocab", ids);
        model.addProperty("unk_token", vocab.get(0));
        JsonArray added = new JsonArray();
        for (int id : specials) {
            JsonObject t = new JsonObject();
            t.addProperty("id", id);
            t.addProperty("content", vocab.get(id));
            t.addProperty("single_word", false);
            t.addProperty("lstrip", false);
            t.addProperty("rstrip", false);
            t.addProperty("normalized", false);
            t.addProperty("special", true);
            added.add(t);
        }
        JsonObject lower = new JsonObject();
        lower.addProperty("type", "Lowercase");
        JsonObject pre = new JsonObject();
        pre.addProperty("type", "Whitespace");
        JsonObject tok = new JsonObject();
        tok.addProperty("version", "1.0");
        tok.add("truncation", JsonNull.INSTANCE);
        tok.add("padding", JsonNull.INSTANCE);
        tok.add("added_tokens", added);
        tok.add("normalizer", lower);
        tok.add("pre_tokenizer", pre);
        tok.add("post_processor", sot < 0 ? JsonNull.INSTANCE : wrapping(vocab.get(sot), sot, vocab.get(eot), eot));
        tok.add("decoder", JsonNull.INSTANCE);
        tok.add("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), tok.toString(), StandardCharsets.UTF_8);
    }

    private static JsonObject wrapping(String start, int startId, String end, int endId) {
        JsonArray single = new JsonArray();
        single.add(item("SpecialToken", start));
        single.add(item("Sequence", "A"));
        single.add(item("SpecialToken", end));
        JsonArray pair = new JsonArray();
        for (JsonObject o : List.of(item("SpecialToken", start), item("Sequence", "A"), item("SpecialToken", end),
                item("Sequence", "B"), item("SpecialToken", end))) {
            pair.add(o);
        }
        JsonObject specials = new JsonObject();
        for (Object[] s : new Object[][] {{start, startId}, {end, endId}}) {
            JsonObject e = new JsonObject();
            e.addProperty("id", (String) s[0]);
            JsonArray idList = new JsonArray();
            idList.add((Integer) s[1]);
            e.add("ids", idList);
            e.add("tokens", strings((String) s[0]));
            specials.add((String) s[0], e);
        }
        JsonObject post = new JsonObject();
        post.addProperty("type", "TemplateProcessing");
        post.add("single", single);
        post.add("pair", pair);
        post.add("special_tokens", specials);
        return post;
    }

    private static JsonObject item(String kind, String id) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", 0);
        JsonObject o = new JsonObject();
        o.add(kind, inner);
        return o;
    }

    private static JsonArray strings(String... values) {
        JsonArray a = new JsonArray();
        for (String v : values) {
            a.add(v);
        }
        return a;
    }

    private static float[] around1(Random r, int n) {
        float[] v = normal(r, n, 0.05);
        for (int i = 0; i < n; i++) {
            v[i] += 1f;
        }
        return v;
    }

    private static float[] normal(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }
}
