package org.vlalign.model.world;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
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
import org.vlalign.core.checkpoint.TokenizerJson;

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
        JsonArray added = new JsonArray();
        for (String special : SPECIAL_TOKENS) {
            added.add(TokenizerJson.addedSpecialToken(ids.get(special), special));
        }
        JsonObject decoder = TokenizerJson.typed("WordPiece");
        decoder.addProperty("prefix", "##");
        decoder.addProperty("cleanup", true);
        return TokenizerJson.tokenizer(added, TokenizerJson.typed("Lowercase"), preTokenizer(), postProcessor(ids),
                decoder, TokenizerJson.wordLevelModel(ids, UNK));
    }

    private static JsonObject preTokenizer() {
        JsonObject punctuation = TokenizerJson.typed("Punctuation");
        punctuation.addProperty("behavior", "Isolated");
        JsonArray steps = new JsonArray();
        steps.add(TokenizerJson.typed("WhitespaceSplit"));
        steps.add(punctuation);
        JsonObject sequence = TokenizerJson.typed("Sequence");
        sequence.add("pretokenizers", steps);
        return sequence;
    }

    /** "<s> $A" for single sequences, "<s> $A <s> $B" for pairs, like Llama's tokenizer. */
    private static JsonObject postProcessor(Map<String, Integer> ids) {
        JsonArray single = new JsonArray();
        single.add(TokenizerJson.specialTokenPiece(BOS, 0));
        single.add(TokenizerJson.sequencePiece("A", 0));
        JsonArray pair = single.deepCopy();
        pair.add(TokenizerJson.specialTokenPiece(BOS, 1));
        pair.add(TokenizerJson.sequencePiece("B", 1));
        return TokenizerJson.templateProcessing(single, pair, Map.of(BOS, ids.get(BOS)));
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
