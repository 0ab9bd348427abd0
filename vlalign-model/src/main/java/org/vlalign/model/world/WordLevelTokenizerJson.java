package org.vlalign.model.world;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.vlalign.Checks;
import org.vlalign.InvalidArgumentException;

/**
 * Writes a Hugging Face {@code tokenizer.json} with a word-level model for a closed vocabulary such
 * as {@link World#vocabulary()}, together with {@code tokenizer_config.json} and
 * {@code special_tokens_map.json} in the same folder.
 *
 * <p>The tokenizer lower-cases, splits on whitespace and isolates punctuation, maps each word to an
 * id (special tokens {@code <unk>}=0, {@code <s>}=1, {@code </s>}=2, {@code <pad>}=3, then the
 * vocabulary in sorted order from 4), prefixes {@code <s>} when special tokens are requested (as
 * Llama tokenizers do) and decodes by joining words with spaces and re-attaching {@code . , ? !}
 * (the WordPiece decoder with clean-up, which is a plain space join for a word-level vocabulary).
 * The files load with the {@code tokenizers} library, {@code PreTrainedTokenizerFast} and DJL's
 * {@code HuggingFaceTokenizer}.
 *
 * <pre>{@code
 * WordLevelTokenizerJson.write(dir.resolve("tokenizer.json"), World.vocabulary());
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class WordLevelTokenizerJson {
    /** The unknown-word token, id 0. */
    public static final String UNK = "<unk>";
    /** The beginning-of-sequence token, id 1. */
    public static final String BOS = "<s>";
    /** The end-of-sequence token, id 2. */
    public static final String EOS = "</s>";
    /** The padding token, id 3. */
    public static final String PAD = "<pad>";
    /** The special tokens in id order. */
    public static final List<String> SPECIAL_TOKENS = List.of(UNK, BOS, EOS, PAD);
    /** The longest sequence the tokenizer config advertises; world texts are far shorter. */
    public static final int MODEL_MAX_LENGTH = 256;

    private WordLevelTokenizerJson() {}

    /**
     * Returns the id of every token: the special tokens first, then the vocabulary sorted.
     *
     * @param vocabulary words and punctuation marks, without whitespace
     * @return token to id, in id order
     */
    public static Map<String, Integer> ids(Collection<String> vocabulary) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (String special : SPECIAL_TOKENS) {
            ids.put(special, ids.size());
        }
        for (String word : new TreeSet<>(vocabulary)) {
            if (word.isEmpty()
                    || word.chars().anyMatch(Character::isWhitespace)
                    || !word.equals(word.toLowerCase(java.util.Locale.ROOT))) {
                throw new InvalidArgumentException(
                        "vocabulary entry '" + word + "' cannot be a word-level token; entries must be"
                                + " non-empty lower-case strings without whitespace");
            }
            ids.putIfAbsent(word, ids.size());
        }
        return ids;
    }

    /**
     * Writes {@code tokenizer.json} and, beside it, {@code tokenizer_config.json} and
     * {@code special_tokens_map.json}.
     *
     * @param tokenizerJson the path of the {@code tokenizer.json} to write; its folder is created
     * @param vocabulary words and punctuation marks, lower case, without whitespace
     * @throws IOException if a file cannot be written
     * @throws InvalidArgumentException if a vocabulary entry is empty, upper case or has whitespace
     */
    public static void write(Path tokenizerJson, Collection<String> vocabulary) throws IOException {
        Checks.checkNotNull(tokenizerJson, "tokenizerJson");
        Checks.checkNotNull(vocabulary, "vocabulary");
        Map<String, Integer> ids = ids(vocabulary);
        Path dir = tokenizerJson.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        var gson = new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().serializeNulls().create();
        Files.writeString(tokenizerJson, gson.toJson(tokenizer(ids)) + "\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer_config.json"), gson.toJson(config()) + "\n",
                StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("special_tokens_map.json"), gson.toJson(specialTokensMap()) + "\n",
                StandardCharsets.UTF_8);
    }

    private static JsonObject tokenizer(Map<String, Integer> ids) {
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        JsonArray added = new JsonArray();
        for (String special : SPECIAL_TOKENS) {
            JsonObject token = new JsonObject();
            token.addProperty("id", ids.get(special));
            token.addProperty("content", special);
            token.addProperty("single_word", false);
            token.addProperty("lstrip", false);
            token.addProperty("rstrip", false);
            token.addProperty("normalized", false);
            token.addProperty("special", true);
            added.add(token);
        }
        root.add("added_tokens", added);
        JsonObject normalizer = new JsonObject();
        normalizer.addProperty("type", "Lowercase");
        root.add("normalizer", normalizer);
        root.add("pre_tokenizer", preTokenizer());
        root.add("post_processor", postProcessor(ids));
        JsonObject decoder = new JsonObject();
        decoder.addProperty("type", "WordPiece");
        decoder.addProperty("prefix", "##");
        decoder.addProperty("cleanup", true);
        root.add("decoder", decoder);
        JsonObject model = new JsonObject();
        model.addProperty("type", "WordLevel");
        JsonObject vocab = new JsonObject();
        ids.forEach(vocab::addProperty);
        model.add("vocab", vocab);
        model.addProperty("unk_token", UNK);
        root.add("model", model);
        return root;
    }

    private static JsonObject preTokenizer() {
        JsonObject whitespace = new JsonObject();
        whitespace.addProperty("type", "WhitespaceSplit");
        JsonObject punctuation = new JsonObject();
        punctuation.addProperty("type", "Punctuation");
        punctuation.addProperty("behavior", "Isolated");
        JsonArray steps = new JsonArray();
        steps.add(whitespace);
        steps.add(punctuation);
        JsonObject sequence = new JsonObject();
        sequence.addProperty("type", "Sequence");
        sequence.add("pretokenizers", steps);
        return sequence;
    }

    /** "<s> $A" for single sequences, "<s> $A <s> $B" for pairs, like Llama's tokenizer. */
    private static JsonObject postProcessor(Map<String, Integer> ids) {
        JsonArray single = new JsonArray();
        single.add(templatePiece("SpecialToken", BOS, 0));
        single.add(templatePiece("Sequence", "A", 0));
        JsonArray pair = new JsonArray();
        pair.add(templatePiece("SpecialToken", BOS, 0));
        pair.add(templatePiece("Sequence", "A", 0));
        pair.add(templatePiece("SpecialToken", BOS, 1));
        pair.add(templatePiece("Sequence", "B", 1));
        JsonObject bos = new JsonObject();
        bos.addProperty("id", BOS);
        JsonArray bosIds = new JsonArray();
        bosIds.add(ids.get(BOS));
        bos.add("ids", bosIds);
        JsonArray bosTokens = new JsonArray();
        bosTokens.add(BOS);
        bos.add("tokens", bosTokens);
        JsonObject specials = new JsonObject();
        specials.add(BOS, bos);
        JsonObject processor = new JsonObject();
        processor.addProperty("type", "TemplateProcessing");
        processor.add("single", single);
        processor.add("pair", pair);
        processor.add("special_tokens", specials);
        return processor;
    }

    /**
     * One piece of a template, {@code {"SpecialToken": {"id": "<s>", "type_id": 0}}} or
     * {@code {"Sequence": {"id": "A", "type_id": 0}}}.
     */
    private static JsonObject templatePiece(String kind, String id, int typeId) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", typeId);
        JsonObject outer = new JsonObject();
        outer.add(kind, inner);
        return outer;
    }

    private static JsonObject config() {
        JsonObject config = new JsonObject();
        config.addProperty("tokenizer_class", "PreTrainedTokenizerFast");
        config.addProperty("add_bos_token", true);
        config.addProperty("add_eos_token", false);
        config.addProperty("bos_token", BOS);
        config.addProperty("eos_token", EOS);
        config.addProperty("unk_token", UNK);
        config.addProperty("pad_token", PAD);
        config.addProperty("do_lower_case", true);
        config.addProperty("clean_up_tokenization_spaces", true);
        config.addProperty("model_max_length", MODEL_MAX_LENGTH);
        config.addProperty("padding_side", "right");
        return config;
    }

    private static JsonObject specialTokensMap() {
        JsonObject map = new JsonObject();
        map.addProperty("bos_token", BOS);
        map.addProperty("eos_token", EOS);
        map.addProperty("unk_token", UNK);
        map.addProperty("pad_token", PAD);
        return map;
    }
}
