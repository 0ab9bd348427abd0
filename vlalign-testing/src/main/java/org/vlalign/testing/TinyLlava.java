package org.vlalign.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes tiny, randomly initialised LLaVA-1.5 folders ({@code LlavaForConditionalGeneration}): a CLIP vision
 * tower ({@link TinyClip}), the two-layer GELU projector, a Llama with grouped-query attention
 * ({@link TinyLlama}), a word-level {@code tokenizer.json} with {@code <s>}, {@code </s>} and {@code <image>}
 * (the last id), and the preprocessor config.
 *
 * <p>The vocabulary is {@link #chatVocabulary(List)}: it holds every token of the LLaVA, Vicuna and Llama-2
 * chat prompts, so any prompt template tokenizes without unknown words. Random weights give arbitrary
 * answers: tests check consistency, never what the text says. Not thread-safe.
 *
 * @since 0.1.0
 */
public final class TinyLlava {
    private static final List<String> CHAT_TOKENS = List.of("[", "]", "/", "inst", "user", "assistant", ":", "?",
            ".", ",");

    /** The default vision width. */
    public static final int VISION_HIDDEN = 24;
    /** The language model's width. */
    public static final int TEXT_HIDDEN = 32;
    /** The id of {@code <s>}. */
    public static final int BOS = TinyLlama.BOS;
    /** The id of {@code </s>}. */
    public static final int EOS = TinyLlama.EOS;
    /** The id of {@code <image>} with the default words. */
    public static final int IMAGE_TOKEN = chatVocabulary(TinyClip.WORDS).size() - 1;

    private long seed = 1;
    private List<String> words = TinyClip.WORDS;
    private TinyClip vision = TinyClip.builder().vision(VISION_HIDDEN, 3, 4, TinyClip.IMAGE_SIZE, TinyClip.PATCH_SIZE);
    private int intermediate = 48;
    private int maxPositions = 64;

    private TinyLlava() {}

    /**
     * Starts from the default sizes: a 3-layer tower 24 wide on 32 px images in 8 px patches (16 image
     * tokens), a 2-layer Llama 32 wide (MLP 48, 4 heads, 2 key/value heads, 64 positions).
     *
     * @return the builder
     */
    public static TinyLlava builder() {
        return new TinyLlava();
    }

    /**
     * Starts from the compact sizes the command-line tests use: the {@link TinyClip#compact()} tower (4 image
     * tokens), a Llama with MLP 64 and 2048 positions, room for long chats.
     *
     * @return the builder
     */
    public static TinyLlava compact() {
        return builder().vision(TinyClip.compact()).text(64, 2048);
    }

    /**
     * Writes a default folder.
     *
     * @param dir the folder (created)
     * @param seed the weight seed
     * @return {@code dir}
     */
    public static Path write(Path dir, long seed) {
        return builder().seed(seed).write(dir);
    }

    /**
     * Returns the Llama vocabulary of the fixtures: {@code <unk> <s> </s>}, the chat-prompt tokens, the words,
     * and {@code <image>} last.
     *
     * @param words lower-case words
     * @return a new list
     */
    public static List<String> chatVocabulary(List<String> words) {
        List<String> v = new ArrayList<>(TinyLlama.SPECIALS);
        v.addAll(CHAT_TOKENS);
        words.stream().filter(w -> !v.contains(w)).forEach(v::add);
        v.add("<image>");
        return v;
    }

    /**
     * Returns the Llama tokenizer of {@link #chatVocabulary(List)}: lower-cased, split on whitespace and
     * punctuation, with {@code <unk> <s> </s> <image>} special.
     *
     * @param words lower-case words
     * @return the tokenizer
     */
    public static WordLevelTokenizer chatTokenizer(List<String> words) {
        List<String> vocab = chatVocabulary(words);
        return WordLevelTokenizer.of(vocab).specials(0, BOS, EOS, vocab.size() - 1);
    }

    /** @param s the weight seed @return this */
    public TinyLlava seed(long s) {
        seed = s;
        return this;
    }

    /** @param w the words of the vocabulary @return this */
    public TinyLlava words(List<String> w) {
        words = List.copyOf(w);
        return this;
    }

    /**
     * Sets the vision tower (see {@link TinyClip#vision(int, int, int, int, int)}).
     *
     * @param tower the CLIP fixture whose tower to use
     * @return this
     */
    public TinyLlava vision(TinyClip tower) {
        vision = tower;
        return this;
    }

    /**
     * Sets the language model's MLP width and context.
     *
     * @param mlp the MLP width
     * @param positions {@code max_position_embeddings}
     * @return this
     */
    public TinyLlava text(int mlp, int positions) {
        intermediate = mlp;
        maxPositions = positions;
        return this;
    }

    /** @return the id of {@code <image>} */
    public int imageToken() {
        return chatVocabulary(words).size() - 1;
    }

    /**
     * Writes the folder.
     *
     * @param dir the folder (created)
     * @return {@code dir}
     */
    public Path write(Path dir) {
        WordLevelTokenizer tokenizer = chatTokenizer(words);
        TinyLlama lm = TinyLlama.builder().tokenizer(tokenizer).kvHeads(2).intermediate(intermediate)
                .maxPos(maxPositions);
        JsonObject text = lm.config();
        JsonObject config = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("LlavaForConditionalGeneration");
        config.add("architectures", arch);
        config.addProperty("model_type", "llava");
        config.addProperty("image_token_index", imageToken());
        config.addProperty("image_seq_length", vision.patches());
        config.addProperty("pad_token_id", 0);
        config.add("text_config", text);
        config.add("vision_config", vision.visionConfig());

        RandomWeights w = RandomWeights.seeded(seed);
        vision.addVisionWeights(w, "vision_tower.vision_model.");
        int v = vision.visionHidden();
        w.linear("multi_modal_projector.linear_1.weight", TEXT_HIDDEN, v);
        w.normal("multi_modal_projector.linear_1.bias", 0.1, TEXT_HIDDEN);
        w.linear("multi_modal_projector.linear_2.weight", TEXT_HIDDEN, TEXT_HIDDEN);
        w.normal("multi_modal_projector.linear_2.bias", 0.1, TEXT_HIDDEN);
        lm.addWeights(w, "language_model.");
        TextFiles.write(dir.resolve("config.json"), config.toString());
        w.write(dir.resolve("model.safetensors"));
        PreprocessorConfigs.clip(dir, vision.imageSize());
        tokenizer.write(dir);
        WordLevelTokenizer.writeLlamaConfig(dir);
        return dir;
    }
}
