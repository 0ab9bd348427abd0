package org.vlalign.torch.internal.llava;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.torch.internal.clip.TinyClipCheckpoint;

/**
 * Writes a tiny, randomly initialised LLaVA-1.5 folder: a 3-layer CLIP tower (32 px, 8 px patches,
 * 16 patches), the projector, a 2-layer Llama with grouped-query attention, a word-level {@code
 * tokenizer.json} with {@code <s>}, {@code </s>} and {@code <image>}, and the preprocessor config.
 *
 * <p>Stateless and thread-safe.
 */
public final class TinyLlavaCheckpoint {
    static final int VISION_HIDDEN = 24;
    static final int TEXT_HIDDEN = 32;
    static final int INTERMEDIATE = 48;
    static final int BOS = 1;
    static final int EOS = 2;
    static final List<String> VOCAB = vocab();
    static final int IMAGE_TOKEN = VOCAB.size() - 1;

    private TinyLlavaCheckpoint() {}

    private static List<String> vocab() {
        List<String> v = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "user", ":", "assistant", "?", "."));
        v.addAll(TinyClipCheckpoint.WORDS);
        v.add("<image>");
        return List.copyOf(v);
    }

    public static Path write(Path dir, long seed) {
        int vocab = VOCAB.size();
        JsonObject text = new JsonObject();
        text.addProperty("model_type", "llama");
        text.addProperty("hidden_size", TEXT_HIDDEN);
        text.addProperty("intermediate_size", INTERMEDIATE);
        text.addProperty("num_hidden_layers", 2);
        text.addProperty("num_attention_heads", 4);
        text.addProperty("num_key_value_heads", 2);
        text.addProperty("vocab_size", vocab);
        text.addProperty("max_position_embeddings", 64);
        text.addProperty("pad_token_id", 0);
        JsonObject config = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("LlavaForConditionalGeneration");
        config.add("architectures", arch);
        config.addProperty("model_type", "llava");
        config.addProperty("image_token_index", IMAGE_TOKEN);
        config.addProperty("image_seq_length", 16);
        config.addProperty("pad_token_id", 0);
        config.add("text_config", text);
        config.add("vision_config", TinyClipCheckpoint.visionConfig(VISION_HIDDEN, 3, "quick_gelu"));

        Random r = new Random(seed);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        TinyClipCheckpoint.visionWeights(w, r, "vision_tower.vision_model.", VISION_HIDDEN, 3);
        w.addF32("multi_modal_projector.linear_1.weight",
                TinyClipCheckpoint.linear(r, TEXT_HIDDEN, VISION_HIDDEN), TEXT_HIDDEN, VISION_HIDDEN);
        w.addF32("multi_modal_projector.linear_1.bias", TinyClipCheckpoint.gaussian(r, TEXT_HIDDEN, 0.1f),
                TEXT_HIDDEN);
        w.addF32("multi_modal_projector.linear_2.weight",
                TinyClipCheckpoint.linear(r, TEXT_HIDDEN, TEXT_HIDDEN), TEXT_HIDDEN, TEXT_HIDDEN);
        w.addF32("multi_modal_projector.linear_2.bias", TinyClipCheckpoint.gaussian(r, TEXT_HIDDEN, 0.1f),
                TEXT_HIDDEN);
        String lm = "language_model.";
        int kv = TEXT_HIDDEN / 2;
        w.addF32(lm + "model.embed_tokens.weight", TinyClipCheckpoint.gaussian(r, vocab * TEXT_HIDDEN, 1f),
                vocab, TEXT_HIDDEN);
        for (int i = 0; i < 2; i++) {
            String p = lm + "model.layers." + i + ".";
            w.addF32(p + "input_layernorm.weight", norm(r), TEXT_HIDDEN);
            w.addF32(p + "self_attn.q_proj.weight", TinyClipCheckpoint.linear(r, TEXT_HIDDEN, TEXT_HIDDEN),
                    TEXT_HIDDEN, TEXT_HIDDEN);
            w.addF32(p + "self_attn.k_proj.weight", TinyClipCheckpoint.linear(r, kv, TEXT_HIDDEN), kv, TEXT_HIDDEN);
            w.addF32(p + "self_attn.v_proj.weight", TinyClipCheckpoint.linear(r, kv, TEXT_HIDDEN), kv, TEXT_HIDDEN);
            w.addF32(p + "self_attn.o_proj.weight", TinyClipCheckpoint.linear(r, TEXT_HIDDEN, TEXT_HIDDEN),
                    TEXT_HIDDEN, TEXT_HIDDEN);
            w.addF32(p + "post_attention_layernorm.weight", norm(r), TEXT_HIDDEN);
            w.addF32(p + "mlp.gate_proj.weight", TinyClipCheckpoint.linear(r, INTERMEDIATE, TEXT_HIDDEN),
                    INTERMEDIATE, TEXT_HIDDEN);
            w.addF32(p + "mlp.up_proj.weight", TinyClipCheckpoint.linear(r, INTERMEDIATE, TEXT_HIDDEN),
                    INTERMEDIATE, TEXT_HIDDEN);
            w.addF32(p + "mlp.down_proj.weight", TinyClipCheckpoint.linear(r, TEXT_HIDDEN, INTERMEDIATE),
                    TEXT_HIDDEN, INTERMEDIATE);
        }
        w.addF32(lm + "model.norm.weight", norm(r), TEXT_HIDDEN);
        float[] head = TinyClipCheckpoint.linear(r, vocab, TEXT_HIDDEN);
        for (int i = 0; i < head.length; i++) {
            head[i] *= 2.5f; // sharper logits, as the reference cases' lm_head gain
        }
        w.addF32(lm + "lm_head.weight", head, vocab, TEXT_HIDDEN);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), config.toString(), StandardCharsets.UTF_8);
            w.write(dir.resolve("model.safetensors"));
            TinyClipCheckpoint.writePreprocessorConfig(dir);
            writeTokenizer(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static float[] norm(Random r) {
        float[] v = TinyClipCheckpoint.gaussian(r, TEXT_HIDDEN, 0.1f);
        for (int i = 0; i < v.length; i++) {
            v[i] += 1f;
        }
        return v;
    }

    private static void writeTokenizer(Path dir) throws IOException {
        JsonObject vocab = new JsonObject();
        for (int i = 0; i < VOCAB.size(); i++) {
            vocab.addProperty(VOCAB.get(i), i);
        }
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordLevel");
        model.add("vocab", vocab);
        model.addProperty("unk_token", "<unk>");
        JsonArray added = new JsonArray();
        for (int id : new int[] {0, BOS, EOS, IMAGE_TOKEN}) {
            JsonObject t = new JsonObject();
            t.addProperty("id", id);
            t.addProperty("content", VOCAB.get(id));
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
        tok.add("post_processor", null);
        tok.add("decoder", null);
        tok.add("model", model);
        Files.writeString(dir.resolve("tokenizer.json"), tok.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<s>\", \"eos_token\": \"</s>\", \"unk_token\": \"<unk>\","
                        + " \"add_bos_token\": true}",
                StandardCharsets.UTF_8);
    }
}
