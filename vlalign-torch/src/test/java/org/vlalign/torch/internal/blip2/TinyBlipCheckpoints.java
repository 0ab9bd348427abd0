package org.vlalign.torch.internal.blip2;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.vlalign.ImageInput;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/**
 * Writes tiny random BLIP-2 / InstructBLIP checkpoint folders in the Hugging Face layout for tests: config,
 * float32 weights, a BLIP preprocessor config and WordLevel tokenizers. Not thread-safe.
 */
public final class TinyBlipCheckpoints {
    /** Which Hugging Face class the folder imitates. */
    public enum Kind {
        /** InstructBlipForConditionalGeneration with a Llama LM. */
        INSTRUCTBLIP,
        /** Blip2Model: features only (no text input, no LM weights used). */
        BLIP2_MODEL,
        /** Blip2ForImageTextRetrieval: projections and ITM head. */
        BLIP2_RETRIEVAL
    }

    public static final int IMAGE = 16;
    public static final int PATCH = 8;
    public static final int VISION_HIDDEN = 32;
    public static final int QFORMER_HIDDEN = 24;
    public static final int QUERIES = 4;
    public static final int TEXT_HIDDEN = 32;
    public static final int ITC = 16;
    public static final int QFORMER_MAX_POSITIONS = 16;

    /** Words of both tiny vocabularies. */
    public static final List<String> WORDS = List.of(
            "a", "the", "cat", "dog", "is", "on", "what", "color", "red", "blue", "green", "table",
            "sofa", "picture", "describe", "image", "this", "of", "in", "and", "there", "small",
            "large", "black", "white", "man", "woman", "sitting", "standing", "with", "how", "many",
            "two", "three", "one", "yes", "no", "tree", "car", "sky", "house", "?", ".");

    /** BERT-style specials of the Q-Former tokenizer. */
    public static final List<String> QFORMER_SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]");
    /** Llama-style specials of the LM tokenizer. */
    public static final List<String> LM_SPECIALS = List.of("<unk>", "<s>", "</s>");

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private final Random random;

    private TinyBlipCheckpoints(long seed) {
        this.random = new Random(seed);
    }

    public static int qformerVocab() {
        return QFORMER_SPECIALS.size() + WORDS.size();
    }

    public static int lmVocab() {
        return LM_SPECIALS.size() + WORDS.size();
    }

    /**
     * Writes a folder.
     *
     * @param dir the folder (created)
     * @param kind the layout
     * @param seed the weight seed
     * @param crossAttentionFrequency Q-Former cross-attention frequency
     * @return the folder
     */
    public static Path write(Path dir, Kind kind, long seed, int crossAttentionFrequency) {
        try {
            Files.createDirectories(dir);
            TinyBlipCheckpoints t = new TinyBlipCheckpoints(seed);
            t.vision();
            t.qformer(kind, crossAttentionFrequency);
            if (kind == Kind.INSTRUCTBLIP) {
                t.llama();
            }
            if (kind == Kind.BLIP2_RETRIEVAL) {
                t.matrix("vision_projection.weight", ITC, QFORMER_HIDDEN);
                t.bias("vision_projection.bias", ITC);
                t.matrix("text_projection.weight", ITC, QFORMER_HIDDEN);
                t.bias("text_projection.bias", ITC);
                t.matrix("itm_head.weight", 2, QFORMER_HIDDEN);
                t.bias("itm_head.bias", 2);
            }
            SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
            for (Map.Entry<String, float[]> e : t.values.entrySet()) {
                w.addF32(e.getKey(), e.getValue(), t.shapes.get(e.getKey()));
            }
            w.write(dir.resolve("model.safetensors"));
            Files.writeString(dir.resolve("config.json"), GSON.toJson(config(kind, crossAttentionFrequency)));
            Files.writeString(dir.resolve("preprocessor_config.json"), preprocessorConfig());
            Path qformerTokenizer = kind == Kind.INSTRUCTBLIP
                    ? dir.resolve("qformer_tokenizer/tokenizer.json")
                    : dir.resolve("tokenizer.json");
            if (kind != Kind.BLIP2_MODEL) {
                Files.createDirectories(qformerTokenizer.getParent());
                Files.writeString(qformerTokenizer, bertTokenizerJson(), StandardCharsets.UTF_8);
            }
            if (kind == Kind.INSTRUCTBLIP) {
                Files.writeString(dir.resolve("tokenizer.json"), lmTokenizerJson(), StandardCharsets.UTF_8);
                Files.writeString(
                        dir.resolve("generation_config.json"),
                        "{\"bos_token_id\": 1, \"eos_token_id\": 2, \"pad_token_id\": 0}");
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes a standalone tiny Llama folder ({@code LlamaForCausalLM}, keys without prefix) with the LM
     * tokenizer.
     *
     * @param dir the folder (created)
     * @param seed the weight seed
     * @return the folder
     */
    public static Path writeLlama(Path dir, long seed) {
        try {
            Files.createDirectories(dir);
            TinyBlipCheckpoints t = new TinyBlipCheckpoints(seed);
            t.llama();
            SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
            for (Map.Entry<String, float[]> e : t.values.entrySet()) {
                if (e.getKey().startsWith("language_model.")) {
                    w.addF32(e.getKey().substring("language_model.".length()), e.getValue(),
                            t.shapes.get(e.getKey()));
                }
            }
            w.write(dir.resolve("model.safetensors"));
            @SuppressWarnings("unchecked")
            Map<String, Object> text = (Map<String, Object>) config(Kind.INSTRUCTBLIP, 2).get("text_config");
            Files.writeString(dir.resolve("config.json"), GSON.toJson(text));
            Files.writeString(dir.resolve("tokenizer.json"), lmTokenizerJson(), StandardCharsets.UTF_8);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A deterministic synthetic RGB image. */
    public static ImageInput image(int seed, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int red = (x * 255 / width + r.nextInt(40)) & 0xff;
                int green = (y * 255 / height + seed * 37) & 0xff;
                int blue = r.nextInt(256);
                img.setRGB(x, y, (red << 16) | (green << 8) | blue);
            }
        }
        return ImageInput.of(img);
    }

    private void vision() {
        int h = VISION_HIDDEN;
        int patches = (IMAGE / PATCH) * (IMAGE / PATCH);
        put("vision_model.embeddings.class_embedding", 1.0, 1, 1, h);
        matrix4("vision_model.embeddings.patch_embedding.weight", h, 3, PATCH, PATCH);
        bias("vision_model.embeddings.patch_embedding.bias", h);
        put("vision_model.embeddings.position_embedding", 0.5, 1, patches + 1, h);
        for (int i = 0; i < 2; i++) {
            String p = "vision_model.encoder.layers." + i + ".";
            norm(p + "layer_norm1", h);
            matrix(p + "self_attn.qkv.weight", 3 * h, h);
            bias(p + "self_attn.qkv.bias", 3 * h);
            matrix(p + "self_attn.projection.weight", h, h);
            bias(p + "self_attn.projection.bias", h);
            norm(p + "layer_norm2", h);
            matrix(p + "mlp.fc1.weight", 2 * h, h);
            bias(p + "mlp.fc1.bias", 2 * h);
            matrix(p + "mlp.fc2.weight", h, 2 * h);
            bias(p + "mlp.fc2.bias", h);
        }
        norm("vision_model.post_layernorm", h);
    }

    private void qformer(Kind kind, int frequency) {
        int h = QFORMER_HIDDEN;
        put("query_tokens", 1.0, 1, QUERIES, h);
        boolean text = kind != Kind.BLIP2_MODEL;
        if (kind == Kind.INSTRUCTBLIP) {
            put("qformer.embeddings.word_embeddings.weight", 1.0, qformerVocab(), h);
            put("qformer.embeddings.position_embeddings.weight", 0.5, QFORMER_MAX_POSITIONS, h);
            norm("qformer.embeddings.layernorm", h);
        } else {
            if (kind == Kind.BLIP2_RETRIEVAL) {
                put("embeddings.word_embeddings.weight", 1.0, qformerVocab(), h);
                put("embeddings.position_embeddings.weight", 0.5, QFORMER_MAX_POSITIONS, h);
            }
            norm("qformer.layernorm", h);
        }
        for (int i = 0; i < 2; i++) {
            String p = "qformer.encoder.layer." + i + ".";
            attention(p + "attention.", h);
            if (i % frequency == 0) {
                attention(p + "crossattention.", VISION_HIDDEN);
            }
            ffn(p + "intermediate_query", p + "output_query");
            if (text) {
                ffn(p + "intermediate", p + "output");
            }
        }
    }

    private void attention(String p, int kv) {
        int h = QFORMER_HIDDEN;
        matrix(p + "attention.query.weight", h, h);
        bias(p + "attention.query.bias", h);
        matrix(p + "attention.key.weight", h, kv);
        bias(p + "attention.key.bias", h);
        matrix(p + "attention.value.weight", h, kv);
        bias(p + "attention.value.bias", h);
        matrix(p + "output.dense.weight", h, h);
        bias(p + "output.dense.bias", h);
        norm(p + "output.LayerNorm", h);
    }

    private void ffn(String intermediate, String output) {
        int h = QFORMER_HIDDEN;
        matrix(intermediate + ".dense.weight", 2 * h, h);
        bias(intermediate + ".dense.bias", 2 * h);
        matrix(output + ".dense.weight", h, 2 * h);
        bias(output + ".dense.bias", h);
        norm(output + ".LayerNorm", h);
    }

    private void llama() {
        int h = TEXT_HIDDEN;
        int v = lmVocab();
        matrix("language_projection.weight", h, QFORMER_HIDDEN);
        bias("language_projection.bias", h);
        put("language_model.model.embed_tokens.weight", 1.0, v, h);
        for (int i = 0; i < 2; i++) {
            String p = "language_model.model.layers." + i + ".";
            matrix(p + "self_attn.q_proj.weight", h, h);
            matrix(p + "self_attn.k_proj.weight", h / 2, h);
            matrix(p + "self_attn.v_proj.weight", h / 2, h);
            matrix(p + "self_attn.o_proj.weight", h, h);
            matrix(p + "mlp.gate_proj.weight", 64, h);
            matrix(p + "mlp.up_proj.weight", 64, h);
            matrix(p + "mlp.down_proj.weight", h, 64);
            values.put(p + "input_layernorm.weight", ones(h));
            shapes.put(p + "input_layernorm.weight", new long[] {h});
            values.put(p + "post_attention_layernorm.weight", ones(h));
            shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
        }
        values.put("language_model.model.norm.weight", ones(h));
        shapes.put("language_model.model.norm.weight", new long[] {h});
        put("language_model.lm_head.weight", 2.5 / Math.sqrt(h), v, h);
    }

    private float[] ones(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (1 + 0.1 * random.nextGaussian());
        }
        return out;
    }

    private void norm(String prefix, int h) {
        values.put(prefix + ".weight", ones(h));
        shapes.put(prefix + ".weight", new long[] {h});
        bias(prefix + ".bias", h);
    }

    private void matrix(String name, int out, int in) {
        put(name, 1 / Math.sqrt(in), out, in);
    }

    private void matrix4(String name, int out, int c, int kh, int kw) {
        put(name, 1 / Math.sqrt((double) c * kh * kw), out, c, kh, kw);
    }

    private void bias(String name, int n) {
        put(name, 0.1, n);
    }

    private void put(String name, double std, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * std);
        }
        values.put(name, v);
        shapes.put(name, shape);
    }

    private static Map<String, Object> config(Kind kind, int frequency) {
        Map<String, Object> vision = new LinkedHashMap<>();
        vision.put("hidden_size", VISION_HIDDEN);
        vision.put("intermediate_size", 2 * VISION_HIDDEN);
        vision.put("num_hidden_layers", 2);
        vision.put("num_attention_heads", 4);
        vision.put("image_size", IMAGE);
        vision.put("patch_size", PATCH);
        Map<String, Object> qformer = new LinkedHashMap<>();
        qformer.put("hidden_size", QFORMER_HIDDEN);
        qformer.put("intermediate_size", 2 * QFORMER_HIDDEN);
        qformer.put("num_hidden_layers", 2);
        qformer.put("num_attention_heads", 4);
        qformer.put("vocab_size", qformerVocab());
        qformer.put("max_position_embeddings", QFORMER_MAX_POSITIONS);
        qformer.put("encoder_hidden_size", VISION_HIDDEN);
        if (frequency != 2) {
            qformer.put("cross_attention_frequency", frequency);
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("num_query_tokens", QUERIES);
        c.put("vision_config", vision);
        c.put("qformer_config", qformer);
        switch (kind) {
            case INSTRUCTBLIP -> {
                c.put("architectures", List.of("InstructBlipForConditionalGeneration"));
                c.put("model_type", "instructblip");
                Map<String, Object> text = new LinkedHashMap<>();
                text.put("architectures", List.of("LlamaForCausalLM"));
                text.put("model_type", "llama");
                text.put("hidden_size", TEXT_HIDDEN);
                text.put("intermediate_size", 64);
                text.put("num_hidden_layers", 2);
                text.put("num_attention_heads", 4);
                text.put("num_key_value_heads", 2);
                text.put("vocab_size", lmVocab());
                text.put("max_position_embeddings", 128);
                text.put("bos_token_id", 1);
                text.put("eos_token_id", 2);
                text.put("pad_token_id", 0);
                text.put("tie_word_embeddings", false);
                c.put("text_config", text);
            }
            case BLIP2_MODEL -> {
                c.put("architectures", List.of("Blip2Model"));
                c.put("model_type", "blip-2");
            }
            case BLIP2_RETRIEVAL -> {
                c.put("architectures", List.of("Blip2ForImageTextRetrieval"));
                c.put("model_type", "blip-2");
                c.put("image_text_hidden_size", ITC);
                qformer.put("use_qformer_text_input", true);
            }
            default -> throw new IllegalArgumentException(kind.toString());
        }
        return c;
    }

    private static String preprocessorConfig() {
        return "{\"do_convert_rgb\": true, \"do_normalize\": true, \"do_rescale\": true,"
                + " \"do_resize\": true, \"image_mean\": [0.48145466, 0.4578275, 0.40821073],"
                + " \"image_processor_type\": \"BlipImageProcessor\","
                + " \"image_std\": [0.26862954, 0.26130258, 0.27577711], \"resample\": 3,"
                + " \"rescale_factor\": 0.00392156862745098,"
                + " \"size\": {\"height\": " + IMAGE + ", \"width\": " + IMAGE + "}}";
    }

    private static Map<String, Object> added(int id, String content) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
        return t;
    }

    private static Map<String, Object> wordLevel(List<String> specials, String unk) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : specials) {
            vocab.put(s, vocab.size());
        }
        for (String w : WORDS) {
            vocab.put(w, vocab.size());
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "WordLevel");
        model.put("vocab", vocab);
        model.put("unk_token", unk);
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("version", "1.0");
        t.put("truncation", null);
        t.put("padding", null);
        List<Object> addedTokens = new ArrayList<>();
        for (int i = 0; i < specials.size(); i++) {
            addedTokens.add(added(i, specials.get(i)));
        }
        t.put("added_tokens", addedTokens);
        t.put("normalizer", Map.of("type", "Lowercase"));
        t.put("pre_tokenizer", Map.of("type", "Whitespace"));
        t.put("model", model);
        return t;
    }

    /** A BERT-like WordLevel tokenizer: [CLS] words [SEP]. */
    static String bertTokenizerJson() {
        Map<String, Object> t = wordLevel(QFORMER_SPECIALS, "[UNK]");
        Map<String, Object> post = new LinkedHashMap<>();
        post.put("type", "TemplateProcessing");
        post.put("single", List.of(
                Map.of("SpecialToken", Map.of("id", "[CLS]", "type_id", 0)),
                Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                Map.of("SpecialToken", Map.of("id", "[SEP]", "type_id", 0))));
        post.put("pair", List.of(
                Map.of("SpecialToken", Map.of("id", "[CLS]", "type_id", 0)),
                Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                Map.of("SpecialToken", Map.of("id", "[SEP]", "type_id", 0)),
                Map.of("Sequence", Map.of("id", "B", "type_id", 1)),
                Map.of("SpecialToken", Map.of("id", "[SEP]", "type_id", 1))));
        post.put("special_tokens", Map.of(
                "[CLS]", Map.of("id", "[CLS]", "ids", List.of(2), "tokens", List.of("[CLS]")),
                "[SEP]", Map.of("id", "[SEP]", "ids", List.of(3), "tokens", List.of("[SEP]"))));
        t.put("post_processor", post);
        t.put("decoder", null);
        return new GsonBuilder().serializeNulls().create().toJson(t);
    }

    /** A Llama-like WordLevel tokenizer without a post-processor (the prompt places BOS). */
    static String lmTokenizerJson() {
        Map<String, Object> t = wordLevel(LM_SPECIALS, "<unk>");
        t.put("post_processor", null);
        t.put("decoder", null);
        return new GsonBuilder().serializeNulls().create().toJson(t);
    }
}
