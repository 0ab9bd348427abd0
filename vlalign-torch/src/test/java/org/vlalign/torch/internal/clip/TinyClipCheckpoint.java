package org.vlalign.torch.internal.clip;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/**
 * Writes tiny, randomly initialised CLIP checkpoint folders (config, weights, preprocessor config and
 * a word-level {@code tokenizer.json}) for tests, and the vision-tower weights LLaVA tests reuse.
 *
 * <p>Stateless and thread-safe.
 */
public final class TinyClipCheckpoint {
    /** Image side of the tiny towers. */
    public static final int IMAGE_SIZE = 32;
    /** Patch side of the tiny towers. */
    public static final int PATCH_SIZE = 8;
    /** Words of the test tokenizer's vocabulary, ids 1..n (0 is the unknown token). */
    public static final List<String> WORDS = List.of(
            "a", "the", "red", "and", "blue", "picture", "photo", "of", "dog", "cat", "green", "grass",
            "yellow", "patch", "square", "image", "what", "is", "in", "this", "describe", "colour");
    /** The unknown token's id. */
    public static final int UNK_ID = 0;
    /** The start-of-text id. */
    public static final int BOS_ID = WORDS.size() + 1;
    /** The end-of-text id: the highest id, as in the real CLIP vocabulary. */
    public static final int EOS_ID = WORDS.size() + 2;
    /** The vocabulary size. */
    public static final int VOCAB = WORDS.size() + 3;

    private TinyClipCheckpoint() {}

    /**
     * Writes a {@code CLIPModel} folder.
     *
     * @param dir the folder, created if needed
     * @param seed the weight seed
     * @param maxPositions the text encoder's context, in tokens
     * @param configEosTokenId the config's {@code eos_token_id}: 2 selects argmax pooling, {@link
     *     #EOS_ID} selects first-eos pooling
     * @return {@code dir}
     */
    public static Path writeClip(Path dir, long seed, int maxPositions, int configEosTokenId) {
        int textHidden = 24;
        int visionHidden = 32;
        int projection = 16;
        JsonObject text = new JsonObject();
        text.addProperty("hidden_size", textHidden);
        text.addProperty("intermediate_size", 40);
        text.addProperty("num_hidden_layers", 2);
        text.addProperty("num_attention_heads", 4);
        text.addProperty("max_position_embeddings", maxPositions);
        text.addProperty("vocab_size", VOCAB);
        text.addProperty("eos_token_id", configEosTokenId);
        text.addProperty("bos_token_id", BOS_ID);
        text.addProperty("projection_dim", projection);
        JsonObject vision = visionConfig(visionHidden, 2, "quick_gelu");
        vision.addProperty("projection_dim", projection);
        JsonObject config = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("CLIPModel");
        config.add("architectures", arch);
        config.addProperty("model_type", "clip");
        config.addProperty("projection_dim", projection);
        config.add("text_config", text);
        config.add("vision_config", vision);

        Random random = new Random(seed);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        w.addF32("logit_scale", new float[] {2.6592f});
        w.addF32("text_model.embeddings.token_embedding.weight", gaussian(random, VOCAB * textHidden, 1f),
                VOCAB, textHidden);
        w.addF32("text_model.embeddings.position_embedding.weight",
                gaussian(random, maxPositions * textHidden, 0.5f), maxPositions, textHidden);
        encoderWeights(w, random, "text_model.", textHidden, 40, 2);
        layerNorm(w, random, "text_model.final_layer_norm.", textHidden);
        w.addF32("text_projection.weight", linear(random, projection, textHidden), projection, textHidden);
        visionWeights(w, random, "vision_model.", visionHidden, 2);
        w.addF32("visual_projection.weight", linear(random, projection, visionHidden), projection,
                visionHidden);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
            w.write(dir.resolve("model.safetensors"));
            writePreprocessorConfig(dir);
            writeTokenizer(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /**
     * A {@code vision_config} object for a tiny tower.
     *
     * @param hidden the width
     * @param layers the layer count
     * @param act the activation
     * @return the object
     */
    public static JsonObject visionConfig(int hidden, int layers, String act) {
        JsonObject vision = new JsonObject();
        vision.addProperty("model_type", "clip_vision_model");
        vision.addProperty("hidden_size", hidden);
        vision.addProperty("intermediate_size", hidden * 2);
        vision.addProperty("num_hidden_layers", layers);
        vision.addProperty("num_attention_heads", 4);
        vision.addProperty("image_size", IMAGE_SIZE);
        vision.addProperty("patch_size", PATCH_SIZE);
        vision.addProperty("hidden_act", act);
        return vision;
    }

    /**
     * Adds the weights of a tiny vision tower below a prefix (intermediate size {@code 2 * hidden}).
     *
     * @param w the writer
     * @param random the weight source
     * @param prefix e.g. {@code vision_model.}
     * @param hidden the width
     * @param layers the layer count
     */
    public static void visionWeights(SafetensorsWriter w, Random random, String prefix, int hidden,
            int layers) {
        int positions = 1 + (IMAGE_SIZE / PATCH_SIZE) * (IMAGE_SIZE / PATCH_SIZE);
        w.addF32(prefix + "embeddings.class_embedding", gaussian(random, hidden, 1f), hidden);
        w.addF32(prefix + "embeddings.patch_embedding.weight",
                gaussian(random, hidden * 3 * PATCH_SIZE * PATCH_SIZE,
                        (float) (1 / Math.sqrt(3.0 * PATCH_SIZE * PATCH_SIZE))),
                hidden, 3, PATCH_SIZE, PATCH_SIZE);
        w.addF32(prefix + "embeddings.position_embedding.weight", gaussian(random, positions * hidden, 0.5f),
                positions, hidden);
        layerNorm(w, random, prefix + "pre_layrnorm.", hidden);
        encoderWeights(w, random, prefix, hidden, hidden * 2, layers);
        layerNorm(w, random, prefix + "post_layernorm.", hidden);
    }

    /**
     * Writes a CLIP {@code preprocessor_config.json} producing {@link #IMAGE_SIZE} square images.
     *
     * @param dir the folder
     * @throws IOException if writing fails
     */
    public static void writePreprocessorConfig(Path dir) throws IOException {
        String json = "{\"crop_size\": {\"height\": " + IMAGE_SIZE + ", \"width\": " + IMAGE_SIZE + "},"
                + " \"do_center_crop\": true, \"do_convert_rgb\": true, \"do_normalize\": true,"
                + " \"do_rescale\": true, \"do_resize\": true,"
                + " \"image_mean\": [0.48145466, 0.4578275, 0.40821073],"
                + " \"image_processor_type\": \"CLIPImageProcessor\","
                + " \"image_std\": [0.26862954, 0.26130258, 0.27577711], \"resample\": 3,"
                + " \"rescale_factor\": 0.00392156862745098,"
                + " \"size\": {\"shortest_edge\": " + IMAGE_SIZE + "}}";
        Files.writeString(dir.resolve("preprocessor_config.json"), json, StandardCharsets.UTF_8);
    }

    /**
     * Writes a word-level {@code tokenizer.json} (lower-cased, whitespace split) that wraps every
     * text in start and end tokens, as CLIP's does.
     *
     * @param dir the folder
     * @throws IOException if writing fails
     */
    public static void writeTokenizer(Path dir) throws IOException {
        JsonObject vocab = new JsonObject();
        vocab.addProperty("[UNK]", UNK_ID);
        for (int i = 0; i < WORDS.size(); i++) {
            vocab.addProperty(WORDS.get(i), i + 1);
        }
        vocab.addProperty("<|startoftext|>", BOS_ID);
        vocab.addProperty("<|endoftext|>", EOS_ID);
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordLevel");
        model.add("vocab", vocab);
        model.addProperty("unk_token", "[UNK]");

        JsonArray added = new JsonArray();
        added.add(addedToken(UNK_ID, "[UNK]"));
        added.add(addedToken(BOS_ID, "<|startoftext|>"));
        added.add(addedToken(EOS_ID, "<|endoftext|>"));

        JsonObject normalizer = new JsonObject();
        normalizer.addProperty("type", "Lowercase");
        JsonObject preTokenizer = new JsonObject();
        preTokenizer.addProperty("type", "Whitespace");

        JsonArray single = new JsonArray();
        single.add(special("<|startoftext|>"));
        single.add(sequence("A"));
        single.add(special("<|endoftext|>"));
        JsonArray pair = new JsonArray();
        pair.add(special("<|startoftext|>"));
        pair.add(sequence("A"));
        pair.add(special("<|endoftext|>"));
        pair.add(sequence("B"));
        pair.add(special("<|endoftext|>"));
        JsonObject specials = new JsonObject();
        specials.add("<|startoftext|>", specialEntry("<|startoftext|>", BOS_ID));
        specials.add("<|endoftext|>", specialEntry("<|endoftext|>", EOS_ID));
        JsonObject post = new JsonObject();
        post.addProperty("type", "TemplateProcessing");
        post.add("single", single);
        post.add("pair", pair);
        post.add("special_tokens", specials);

        JsonObject tok = new JsonObject();
        tok.addProperty("version", "1.0");
        tok.add("truncation", null);
        tok.add("padding", null);
        tok.add("added_tokens", added);
        tok.add("normalizer", normalizer);
        tok.add("pre_tokenizer", preTokenizer);
        tok.add("post_processor", post);
        tok.add("decoder", null);
        tok.add("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), tok.toString(), StandardCharsets.UTF_8);
    }

    private static JsonObject addedToken(int id, String content) {
        JsonObject t = new JsonObject();
        t.addProperty("id", id);
        t.addProperty("content", content);
        t.addProperty("single_word", false);
        t.addProperty("lstrip", false);
        t.addProperty("rstrip", false);
        t.addProperty("normalized", false);
        t.addProperty("special", true);
        return t;
    }

    private static JsonObject special(String id) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", 0);
        JsonObject o = new JsonObject();
        o.add("SpecialToken", inner);
        return o;
    }

    private static JsonObject sequence(String id) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", 0);
        JsonObject o = new JsonObject();
        o.add("Sequence", inner);
        return o;
    }

    private static JsonObject specialEntry(String token, int id) {
        JsonObject e = new JsonObject();
        e.addProperty("id", token);
        JsonArray ids = new JsonArray();
        ids.add(id);
        e.add("ids", ids);
        JsonArray tokens = new JsonArray();
        tokens.add(token);
        e.add("tokens", tokens);
        return e;
    }

    private static void encoderWeights(SafetensorsWriter w, Random random, String prefix, int hidden,
            int intermediate, int layers) {
        for (int i = 0; i < layers; i++) {
            String p = prefix + "encoder.layers." + i + ".";
            layerNorm(w, random, p + "layer_norm1.", hidden);
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                w.addF32(p + "self_attn." + proj + ".weight", linear(random, hidden, hidden), hidden, hidden);
                w.addF32(p + "self_attn." + proj + ".bias", gaussian(random, hidden, 0.1f), hidden);
            }
            layerNorm(w, random, p + "layer_norm2.", hidden);
            w.addF32(p + "mlp.fc1.weight", linear(random, intermediate, hidden), intermediate, hidden);
            w.addF32(p + "mlp.fc1.bias", gaussian(random, intermediate, 0.1f), intermediate);
            w.addF32(p + "mlp.fc2.weight", linear(random, hidden, intermediate), hidden, intermediate);
            w.addF32(p + "mlp.fc2.bias", gaussian(random, hidden, 0.1f), hidden);
        }
    }

    private static void layerNorm(SafetensorsWriter w, Random random, String prefix, int hidden) {
        float[] weight = gaussian(random, hidden, 0.1f);
        for (int i = 0; i < hidden; i++) {
            weight[i] += 1f;
        }
        w.addF32(prefix + "weight", weight, hidden);
        w.addF32(prefix + "bias", gaussian(random, hidden, 0.1f), hidden);
    }

    /**
     * A weight matrix with entries {@code N(0, 1/in)}.
     *
     * @param random the source
     * @param out rows
     * @param in columns
     * @return the values
     */
    public static float[] linear(Random random, int out, int in) {
        return gaussian(random, out * in, (float) (1 / Math.sqrt(in)));
    }

    /**
     * Values {@code N(0, std^2)}.
     *
     * @param random the source
     * @param n how many
     * @param std the standard deviation
     * @return the values
     */
    public static float[] gaussian(Random random, int n, float std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian() * std;
        }
        return v;
    }
}
