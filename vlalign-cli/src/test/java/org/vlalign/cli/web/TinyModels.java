package org.vlalign.cli.web;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/**
 * Writes tiny, randomly initialised checkpoint folders in the Hugging Face layout for the web demo's tests:
 * a LLaVA-1.5 folder that chats (16-pixel CLIP tower, MLP projector, 2-layer Llama, word-level tokenizer)
 * and a CLIP folder that searches; plus small coloured test images.
 *
 * <p>Random weights give gibberish answers and arbitrary rankings: tests check that text streams and turns
 * are kept, never what the text says. Stateless and thread-safe.
 */
final class TinyModels {
    /** Words both tokenizers know; the language model answers with them. */
    static final List<String> WORDS = List.of(
            "a", "the", "red", "blue", "green", "yellow", "dog", "cat", "picture", "photo", "of", "what",
            "is", "in", "this", "image", "square", "sky", "grass", "and", "describe", "colour", "it", "there");
    private static final int IMAGE_SIZE = 16;
    private static final int PATCH = 8;

    private TinyModels() {}

    /**
     * Writes a LLaVA folder: {@code config.json}, {@code model.safetensors}, {@code preprocessor_config.json},
     * {@code tokenizer.json}, {@code tokenizer_config.json}.
     */
    static Path writeLlava(Path dir, long seed) {
        List<String> vocab = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "user", "assistant", ":", "?", "."));
        vocab.addAll(WORDS);
        vocab.add("<image>");
        int imageToken = vocab.size() - 1;
        int visionHidden = 16;
        int hidden = 32;
        int inter = 48;
        int kv = hidden / 2; // 2 of 4 heads: grouped-query attention
        JsonObject text = new JsonObject();
        text.addProperty("model_type", "llama");
        text.addProperty("hidden_size", hidden);
        text.addProperty("intermediate_size", inter);
        text.addProperty("num_hidden_layers", 2);
        text.addProperty("num_attention_heads", 4);
        text.addProperty("num_key_value_heads", 2);
        text.addProperty("vocab_size", vocab.size());
        text.addProperty("max_position_embeddings", 2048);
        text.addProperty("pad_token_id", 0);
        JsonObject config = new JsonObject();
        config.add("architectures", array("LlavaForConditionalGeneration"));
        config.addProperty("model_type", "llava");
        config.addProperty("image_token_index", imageToken);
        config.addProperty("image_seq_length", (IMAGE_SIZE / PATCH) * (IMAGE_SIZE / PATCH));
        config.addProperty("pad_token_id", 0);
        config.add("text_config", text);
        config.add("vision_config", visionConfig(visionHidden, 2));

        Random r = new Random(seed);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        visionTower(w, r, "vision_tower.vision_model.", visionHidden, 2);
        w.addF32("multi_modal_projector.linear_1.weight", linear(r, hidden, visionHidden), hidden, visionHidden);
        w.addF32("multi_modal_projector.linear_1.bias", gaussian(r, hidden, 0.1), hidden);
        w.addF32("multi_modal_projector.linear_2.weight", linear(r, hidden, hidden), hidden, hidden);
        w.addF32("multi_modal_projector.linear_2.bias", gaussian(r, hidden, 0.1), hidden);
        String lm = "language_model.";
        w.addF32(lm + "model.embed_tokens.weight", gaussian(r, vocab.size() * hidden, 1), vocab.size(), hidden);
        for (int i = 0; i < 2; i++) {
            String p = lm + "model.layers." + i + ".";
            w.addF32(p + "input_layernorm.weight", ones(r, hidden), hidden);
            w.addF32(p + "self_attn.q_proj.weight", linear(r, hidden, hidden), hidden, hidden);
            w.addF32(p + "self_attn.k_proj.weight", linear(r, kv, hidden), kv, hidden);
            w.addF32(p + "self_attn.v_proj.weight", linear(r, kv, hidden), kv, hidden);
            w.addF32(p + "self_attn.o_proj.weight", linear(r, hidden, hidden), hidden, hidden);
            w.addF32(p + "post_attention_layernorm.weight", ones(r, hidden), hidden);
            w.addF32(p + "mlp.gate_proj.weight", linear(r, inter, hidden), inter, hidden);
            w.addF32(p + "mlp.up_proj.weight", linear(r, inter, hidden), inter, hidden);
            w.addF32(p + "mlp.down_proj.weight", linear(r, hidden, inter), hidden, inter);
        }
        w.addF32(lm + "model.norm.weight", ones(r, hidden), hidden);
        w.addF32(lm + "lm_head.weight", gaussian(r, vocab.size() * hidden, 2.5 / Math.sqrt(hidden)),
                vocab.size(), hidden);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
            w.write(dir.resolve("model.safetensors"));
            writePreprocessorConfig(dir);
            writeTokenizer(dir, vocab, List.of(0, 1, 2, imageToken), null);
            Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\":"
                    + " \"</s>\", \"unk_token\": \"<unk>\", \"add_bos_token\": true}", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Writes a CLIP folder ({@code CLIPModel}) whose image and text embeddings share a 16-wide space. */
    static Path writeClip(Path dir, long seed) {
        List<String> vocab = new ArrayList<>(List.of("[UNK]"));
        vocab.addAll(WORDS);
        vocab.add("<|startoftext|>");
        vocab.add("<|endoftext|>");
        int bos = vocab.size() - 2;
        int eos = vocab.size() - 1;
        int textHidden = 24;
        int visionHidden = 16;
        int projection = 16;
        int positions = 32;
        JsonObject text = new JsonObject();
        text.addProperty("hidden_size", textHidden);
        text.addProperty("intermediate_size", 2 * textHidden);
        text.addProperty("num_hidden_layers", 2);
        text.addProperty("num_attention_heads", 4);
        text.addProperty("max_position_embeddings", positions);
        text.addProperty("vocab_size", vocab.size());
        text.addProperty("eos_token_id", eos);
        text.addProperty("bos_token_id", bos);
        text.addProperty("projection_dim", projection);
        JsonObject vision = visionConfig(visionHidden, 2);
        vision.addProperty("projection_dim", projection);
        JsonObject config = new JsonObject();
        config.add("architectures", array("CLIPModel"));
        config.addProperty("model_type", "clip");
        config.addProperty("projection_dim", projection);
        config.add("text_config", text);
        config.add("vision_config", vision);

        Random r = new Random(seed);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        w.addF32("logit_scale", new float[] {2.6592f});
        w.addF32("text_model.embeddings.token_embedding.weight", gaussian(r, vocab.size() * textHidden, 1),
                vocab.size(), textHidden);
        w.addF32("text_model.embeddings.position_embedding.weight", gaussian(r, positions * textHidden, 0.5),
                positions, textHidden);
        encoder(w, r, "text_model.", textHidden, 2);
        layerNorm(w, r, "text_model.final_layer_norm.", textHidden);
        w.addF32("text_projection.weight", linear(r, projection, textHidden), projection, textHidden);
        visionTower(w, r, "vision_model.", visionHidden, 2);
        w.addF32("visual_projection.weight", linear(r, projection, visionHidden), projection, visionHidden);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
            w.write(dir.resolve("model.safetensors"));
            writePreprocessorConfig(dir);
            writeTokenizer(dir, vocab, List.of(0, bos, eos), new int[] {bos, eos});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** PNG bytes of a {@code size}×{@code size} image: a colour with a square of another colour. */
    static byte[] png(int size, Color background, Color square) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(background);
        g.fillRect(0, 0, size, size);
        g.setColor(square);
        g.fillRect(size / 4, size / 4, size / 2, size / 2);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes {@code n} distinct PNG images {@code img00.png ...} into {@code dir}. */
    static Path writeImages(Path dir, int n) {
        Color[] colours = {Color.RED, Color.BLUE, Color.GREEN, Color.YELLOW, Color.MAGENTA, Color.CYAN,
            Color.ORANGE, Color.PINK, Color.WHITE, Color.BLACK, Color.GRAY, Color.DARK_GRAY};
        try {
            Files.createDirectories(dir);
            for (int i = 0; i < n; i++) {
                Color bg = colours[i % colours.length];
                Color sq = colours[(i / colours.length + i * 5 + 3) % colours.length];
                Files.write(dir.resolve(String.format("img%02d.png", i)), png(48 + 8 * (i % 3), bg, sq));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static JsonObject visionConfig(int hidden, int layers) {
        JsonObject v = new JsonObject();
        v.addProperty("model_type", "clip_vision_model");
        v.addProperty("hidden_size", hidden);
        v.addProperty("intermediate_size", 2 * hidden);
        v.addProperty("num_hidden_layers", layers);
        v.addProperty("num_attention_heads", 4);
        v.addProperty("image_size", IMAGE_SIZE);
        v.addProperty("patch_size", PATCH);
        v.addProperty("hidden_act", "quick_gelu");
        return v;
    }

    private static void visionTower(SafetensorsWriter w, Random r, String prefix, int hidden, int layers) {
        int positions = 1 + (IMAGE_SIZE / PATCH) * (IMAGE_SIZE / PATCH);
        w.addF32(prefix + "embeddings.class_embedding", gaussian(r, hidden, 1), hidden);
        w.addF32(prefix + "embeddings.patch_embedding.weight",
                gaussian(r, hidden * 3 * PATCH * PATCH, 1 / Math.sqrt(3.0 * PATCH * PATCH)), hidden, 3, PATCH, PATCH);
        w.addF32(prefix + "embeddings.position_embedding.weight", gaussian(r, positions * hidden, 0.5),
                positions, hidden);
        layerNorm(w, r, prefix + "pre_layrnorm.", hidden);
        encoder(w, r, prefix, hidden, layers);
        layerNorm(w, r, prefix + "post_layernorm.", hidden);
    }

    private static void encoder(SafetensorsWriter w, Random r, String prefix, int hidden, int layers) {
        int inter = 2 * hidden;
        for (int i = 0; i < layers; i++) {
            String p = prefix + "encoder.layers." + i + ".";
            layerNorm(w, r, p + "layer_norm1.", hidden);
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                w.addF32(p + "self_attn." + proj + ".weight", linear(r, hidden, hidden), hidden, hidden);
                w.addF32(p + "self_attn." + proj + ".bias", gaussian(r, hidden, 0.1), hidden);
            }
            layerNorm(w, r, p + "layer_norm2.", hidden);
            w.addF32(p + "mlp.fc1.weight", linear(r, inter, hidden), inter, hidden);
            w.addF32(p + "mlp.fc1.bias", gaussian(r, inter, 0.1), inter);
            w.addF32(p + "mlp.fc2.weight", linear(r, hidden, inter), hidden, inter);
            w.addF32(p + "mlp.fc2.bias", gaussian(r, hidden, 0.1), hidden);
        }
    }

    private static void layerNorm(SafetensorsWriter w, Random r, String prefix, int hidden) {
        w.addF32(prefix + "weight", ones(r, hidden), hidden);
        w.addF32(prefix + "bias", gaussian(r, hidden, 0.1), hidden);
    }

    private static void writePreprocessorConfig(Path dir) throws IOException {
        Files.writeString(dir.resolve("preprocessor_config.json"), "{\"crop_size\": {\"height\": " + IMAGE_SIZE
                + ", \"width\": " + IMAGE_SIZE + "}, \"do_center_crop\": true, \"do_convert_rgb\": true,"
                + " \"do_normalize\": true, \"do_rescale\": true, \"do_resize\": true,"
                + " \"image_mean\": [0.48145466, 0.4578275, 0.40821073],"
                + " \"image_processor_type\": \"CLIPImageProcessor\","
                + " \"image_std\": [0.26862954, 0.26130258, 0.27577711], \"resample\": 3,"
                + " \"rescale_factor\": 0.00392156862745098, \"size\": {\"shortest_edge\": " + IMAGE_SIZE + "}}",
                StandardCharsets.UTF_8);
    }

    /**
     * A word-level {@code tokenizer.json}, lower-cased and split on whitespace and punctuation; with
     * {@code wrap} = {start, end} ids every text is wrapped in them, as CLIP's tokenizer does.
     */
    private static void writeTokenizer(Path dir, List<String> vocab, List<Integer> special, int[] wrap)
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
        for (int id : special) {
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
        JsonObject normalizer = new JsonObject();
        normalizer.addProperty("type", "Lowercase");
        JsonObject pre = new JsonObject();
        pre.addProperty("type", "Whitespace");
        JsonObject tok = new JsonObject();
        tok.addProperty("version", "1.0");
        tok.add("truncation", null);
        tok.add("padding", null);
        tok.add("added_tokens", added);
        tok.add("normalizer", normalizer);
        tok.add("pre_tokenizer", pre);
        tok.add("post_processor", wrap == null ? null : template(vocab.get(wrap[0]), wrap[0], vocab.get(wrap[1]),
                wrap[1]));
        tok.add("decoder", null);
        tok.add("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), tok.toString(), StandardCharsets.UTF_8);
    }

    private static JsonObject template(String start, int startId, String end, int endId) {
        JsonArray single = new JsonArray();
        single.add(piece("SpecialToken", start));
        single.add(piece("Sequence", "A"));
        single.add(piece("SpecialToken", end));
        JsonArray pair = new JsonArray();
        pair.add(piece("SpecialToken", start));
        pair.add(piece("Sequence", "A"));
        pair.add(piece("SpecialToken", end));
        pair.add(piece("Sequence", "B"));
        pair.add(piece("SpecialToken", end));
        JsonObject specials = new JsonObject();
        specials.add(start, specialEntry(start, startId));
        specials.add(end, specialEntry(end, endId));
        JsonObject post = new JsonObject();
        post.addProperty("type", "TemplateProcessing");
        post.add("single", single);
        post.add("pair", pair);
        post.add("special_tokens", specials);
        return post;
    }

    private static JsonObject piece(String kind, String id) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", 0);
        JsonObject o = new JsonObject();
        o.add(kind, inner);
        return o;
    }

    private static JsonObject specialEntry(String token, int id) {
        JsonObject e = new JsonObject();
        e.addProperty("id", token);
        JsonArray idList = new JsonArray();
        idList.add(id);
        e.add("ids", idList);
        e.add("tokens", array(token));
        return e;
    }

    private static JsonArray array(String value) {
        JsonArray a = new JsonArray();
        a.add(value);
        return a;
    }

    private static float[] linear(Random r, int out, int in) {
        return gaussian(r, out * in, 1 / Math.sqrt(in));
    }

    private static float[] ones(Random r, int n) {
        float[] v = gaussian(r, n, 0.1);
        for (int i = 0; i < n; i++) {
            v[i] += 1f;
        }
        return v;
    }

    private static float[] gaussian(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }
}
