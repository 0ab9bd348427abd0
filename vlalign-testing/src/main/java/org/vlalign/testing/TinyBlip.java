package org.vlalign.testing;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.InvalidArgumentException;

/**
 * Writes tiny random BLIP-2 and InstructBLIP checkpoint folders in the Hugging Face layout: config, float32
 * weights, a BLIP preprocessor config and word-level tokenizers (a BERT-like one for the Q-Former, a Llama-like
 * one for the language model).
 *
 * <p>Stateless and thread-safe; concurrent writes must use different folders.
 *
 * @since 0.1.0
 */
public final class TinyBlip {
    /** Which Hugging Face class the folder imitates. */
    public enum Kind {
        /** InstructBlipForConditionalGeneration with a Llama LM. */
        INSTRUCTBLIP,
        /** Blip2Model: features only (no text input, no LM weights used). */
        BLIP2_MODEL,
        /** Blip2ForImageTextRetrieval: projections and ITM head. */
        BLIP2_RETRIEVAL
    }

    /** Image side in pixels. */
    public static final int IMAGE = 16;
    /** Patch side in pixels. */
    public static final int PATCH = 8;
    /** ViT width. */
    public static final int VISION_HIDDEN = 32;
    /** Q-Former width. */
    public static final int QFORMER_HIDDEN = 24;
    /** Learned query tokens. */
    public static final int QUERIES = 4;
    /** Language model width. */
    public static final int TEXT_HIDDEN = 32;
    /** Width of the image–text contrastive space. */
    public static final int ITC = 16;
    /** The Q-Former's text context. */
    public static final int QFORMER_MAX_POSITIONS = 16;

    /** Words of both tiny vocabularies. */
    public static final List<String> WORDS = List.of(
            "a", "the", "cat", "dog", "is", "on", "what", "color", "red", "blue", "green", "table",
            "sofa", "picture", "describe", "image", "this", "of", "in", "and", "there", "small",
            "large", "black", "white", "man", "woman", "sitting", "standing", "with", "how", "many",
            "two", "three", "one", "yes", "no", "tree", "car", "sky", "house", "?", ".");

    /** BERT-style specials of the Q-Former tokenizer. */
    public static final List<String> QFORMER_SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]");

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    private TinyBlip() {}

    /** @return the Q-Former vocabulary size */
    public static int qformerVocab() {
        return QFORMER_SPECIALS.size() + WORDS.size();
    }

    /** @return the language model vocabulary size */
    public static int lmVocab() {
        return TinyLlama.SPECIALS.size() + WORDS.size();
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
            RandomWeights w = RandomWeights.seeded(seed);
            vision(w);
            qformer(w, kind, crossAttentionFrequency);
            if (kind == Kind.INSTRUCTBLIP) {
                languageModel(w);
            }
            if (kind == Kind.BLIP2_RETRIEVAL) {
                w.linear("vision_projection.weight", ITC, QFORMER_HIDDEN);
                w.normal("vision_projection.bias", 0.1, ITC);
                w.linear("text_projection.weight", ITC, QFORMER_HIDDEN);
                w.normal("text_projection.bias", 0.1, ITC);
                w.linear("itm_head.weight", 2, QFORMER_HIDDEN);
                w.normal("itm_head.bias", 0.1, 2);
            }
            w.write(dir.resolve("model.safetensors"));
            Files.writeString(dir.resolve("config.json"), GSON.toJson(config(kind, crossAttentionFrequency)));
            PreprocessorConfigs.blip(dir, IMAGE);
            if (kind != Kind.BLIP2_MODEL) {
                qformerTokenizer().write(kind == Kind.INSTRUCTBLIP ? dir.resolve("qformer_tokenizer") : dir);
            }
            if (kind == Kind.INSTRUCTBLIP) {
                lmTokenizer().write(dir);
                Files.writeString(dir.resolve("generation_config.json"),
                        "{\"bos_token_id\": 1, \"eos_token_id\": 2, \"pad_token_id\": 0}");
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Writes a standalone tiny Llama folder ({@code LlamaForCausalLM}, keys without prefix) with the LM
     * tokenizer: the language model of an InstructBLIP folder of the same seed.
     *
     * @param dir the folder (created)
     * @param seed the weight seed
     * @return the folder
     */
    public static Path writeLlama(Path dir, long seed) {
        try {
            Files.createDirectories(dir);
            RandomWeights w = RandomWeights.seeded(seed);
            languageModel(w);
            w.writeStripped(dir.resolve("model.safetensors"), "language_model.");
            Files.writeString(dir.resolve("config.json"), GSON.toJson(textConfig()));
            lmTokenizer().write(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A BERT-like word-level tokenizer: {@code [CLS] words [SEP]}. */
    static WordLevelTokenizer qformerTokenizer() {
        List<String> vocab = new ArrayList<>(QFORMER_SPECIALS);
        vocab.addAll(WORDS);
        return WordLevelTokenizer.of(vocab).unknown(1).specials(0, 1, 2, 3).bertPairs(2, 3);
    }

    /** A Llama-like word-level tokenizer without a post-processor (the prompt places BOS). */
    static WordLevelTokenizer lmTokenizer() {
        List<String> vocab = new ArrayList<>(TinyLlama.SPECIALS);
        vocab.addAll(WORDS);
        return WordLevelTokenizer.of(vocab).specials(0, 1, 2);
    }

    private static void vision(RandomWeights w) {
        int h = VISION_HIDDEN;
        int patches = (IMAGE / PATCH) * (IMAGE / PATCH);
        w.normal("vision_model.embeddings.class_embedding", 1.0, 1, 1, h);
        w.normal("vision_model.embeddings.patch_embedding.weight", 1 / Math.sqrt(3.0 * PATCH * PATCH),
                h, 3, PATCH, PATCH);
        w.normal("vision_model.embeddings.patch_embedding.bias", 0.1, h);
        w.normal("vision_model.embeddings.position_embedding", 0.5, 1, patches + 1, h);
        for (int i = 0; i < 2; i++) {
            String p = "vision_model.encoder.layers." + i + ".";
            w.layerNorm(p + "layer_norm1.", h, 0.1);
            w.linear(p + "self_attn.qkv.weight", 3 * h, h);
            w.normal(p + "self_attn.qkv.bias", 0.1, 3 * h);
            w.linear(p + "self_attn.projection.weight", h, h);
            w.normal(p + "self_attn.projection.bias", 0.1, h);
            w.layerNorm(p + "layer_norm2.", h, 0.1);
            w.linear(p + "mlp.fc1.weight", 2 * h, h);
            w.normal(p + "mlp.fc1.bias", 0.1, 2 * h);
            w.linear(p + "mlp.fc2.weight", h, 2 * h);
            w.normal(p + "mlp.fc2.bias", 0.1, h);
        }
        w.layerNorm("vision_model.post_layernorm.", h, 0.1);
    }

    private static void qformer(RandomWeights w, Kind kind, int frequency) {
        int h = QFORMER_HIDDEN;
        w.normal("query_tokens", 1.0, 1, QUERIES, h);
        if (kind == Kind.INSTRUCTBLIP) {
            w.normal("qformer.embeddings.word_embeddings.weight", 1.0, qformerVocab(), h);
            w.normal("qformer.embeddings.position_embeddings.weight", 0.5, QFORMER_MAX_POSITIONS, h);
            w.layerNorm("qformer.embeddings.layernorm.", h, 0.1);
        } else {
            if (kind == Kind.BLIP2_RETRIEVAL) {
                w.normal("embeddings.word_embeddings.weight", 1.0, qformerVocab(), h);
                w.normal("embeddings.position_embeddings.weight", 0.5, QFORMER_MAX_POSITIONS, h);
            }
            w.layerNorm("qformer.layernorm.", h, 0.1);
        }
        for (int i = 0; i < 2; i++) {
            String p = "qformer.encoder.layer." + i + ".";
            attention(w, p + "attention.", h);
            if (i % frequency == 0) {
                attention(w, p + "crossattention.", VISION_HIDDEN);
            }
            feedForward(w, p + "intermediate_query", p + "output_query");
            if (kind != Kind.BLIP2_MODEL) {
                feedForward(w, p + "intermediate", p + "output");
            }
        }
    }

    private static void attention(RandomWeights w, String p, int kv) {
        int h = QFORMER_HIDDEN;
        w.linear(p + "attention.query.weight", h, h);
        w.normal(p + "attention.query.bias", 0.1, h);
        w.linear(p + "attention.key.weight", h, kv);
        w.normal(p + "attention.key.bias", 0.1, h);
        w.linear(p + "attention.value.weight", h, kv);
        w.normal(p + "attention.value.bias", 0.1, h);
        w.linear(p + "output.dense.weight", h, h);
        w.normal(p + "output.dense.bias", 0.1, h);
        w.layerNorm(p + "output.LayerNorm.", h, 0.1);
    }

    private static void feedForward(RandomWeights w, String intermediate, String output) {
        int h = QFORMER_HIDDEN;
        w.linear(intermediate + ".dense.weight", 2 * h, h);
        w.normal(intermediate + ".dense.bias", 0.1, 2 * h);
        w.linear(output + ".dense.weight", h, 2 * h);
        w.normal(output + ".dense.bias", 0.1, h);
        w.layerNorm(output + ".LayerNorm.", h, 0.1);
    }

    private static TinyLlama llama() {
        return TinyLlama.builder().sizes(lmVocab(), TEXT_HIDDEN, 64, 2, 4).kvHeads(2).maxPos(128)
                .specialTokenIds();
    }

    private static void languageModel(RandomWeights w) {
        w.linear("language_projection.weight", TEXT_HIDDEN, QFORMER_HIDDEN);
        w.normal("language_projection.bias", 0.1, TEXT_HIDDEN);
        llama().addWeights(w, "language_model.");
    }

    private static JsonObject textConfig() {
        JsonObject text = llama().config();
        JsonArray arch = new JsonArray();
        arch.add("LlamaForCausalLM");
        text.add("architectures", arch);
        return text;
    }

    private static JsonObject config(Kind kind, int frequency) {
        JsonObject vision = new JsonObject();
        vision.addProperty("hidden_size", VISION_HIDDEN);
        vision.addProperty("intermediate_size", 2 * VISION_HIDDEN);
        vision.addProperty("num_hidden_layers", 2);
        vision.addProperty("num_attention_heads", 4);
        vision.addProperty("image_size", IMAGE);
        vision.addProperty("patch_size", PATCH);
        JsonObject qformer = new JsonObject();
        qformer.addProperty("hidden_size", QFORMER_HIDDEN);
        qformer.addProperty("intermediate_size", 2 * QFORMER_HIDDEN);
        qformer.addProperty("num_hidden_layers", 2);
        qformer.addProperty("num_attention_heads", 4);
        qformer.addProperty("vocab_size", qformerVocab());
        qformer.addProperty("max_position_embeddings", QFORMER_MAX_POSITIONS);
        qformer.addProperty("encoder_hidden_size", VISION_HIDDEN);
        if (frequency != 2) {
            qformer.addProperty("cross_attention_frequency", frequency);
        }
        JsonObject c = new JsonObject();
        c.addProperty("num_query_tokens", QUERIES);
        c.add("vision_config", vision);
        c.add("qformer_config", qformer);
        JsonArray arch = new JsonArray();
        switch (kind) {
            case INSTRUCTBLIP -> {
                arch.add("InstructBlipForConditionalGeneration");
                c.addProperty("model_type", "instructblip");
                c.add("text_config", textConfig());
            }
            case BLIP2_MODEL -> {
                arch.add("Blip2Model");
                c.addProperty("model_type", "blip-2");
            }
            case BLIP2_RETRIEVAL -> {
                arch.add("Blip2ForImageTextRetrieval");
                c.addProperty("model_type", "blip-2");
                c.addProperty("image_text_hidden_size", ITC);
                qformer.addProperty("use_qformer_text_input", true);
            }
            default -> throw new InvalidArgumentException(kind.toString());
        }
        c.add("architectures", arch);
        return c;
    }
}
