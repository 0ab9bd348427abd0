package org.vlalign.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlalign.core.checkpoint.TokenizerJson;

/**
 * Writes a Hugging Face {@code tokenizer.json} with a word-level model over a closed vocabulary whose token
 * ids are the list positions ({@code vocabulary.get(0)} is the unknown token unless named otherwise). By
 * default it lower-cases and splits on whitespace and punctuation; it can instead split on whitespace only
 * and keep the case, and it can wrap every text in start and end tokens, as CLIP's and BERT's tokenizers do.
 *
 * <pre>{@code
 * WordLevelTokenizer.of(vocab).specials(0, 1, 2).write(dir);
 * }</pre>
 *
 * <p>Not thread-safe; the written files are immutable.
 *
 * @since 0.1.0
 */
public final class WordLevelTokenizer {
    private final List<String> vocabulary;
    private final List<Integer> specials = new ArrayList<>();
    private boolean whitespaceOnly;
    private boolean keepCase;
    private int unknown;
    private int start = -1;
    private int end = -1;
    private int pairTypeId;

    private WordLevelTokenizer(List<String> vocabulary) {
        this.vocabulary = List.copyOf(vocabulary);
    }

    /**
     * Starts a tokenizer over {@code vocabulary}, token id = position.
     *
     * @param vocabulary the tokens, the unknown token first
     * @return the builder
     */
    public static WordLevelTokenizer of(List<String> vocabulary) {
        return new WordLevelTokenizer(vocabulary);
    }

    /**
     * Returns the vocabulary size.
     *
     * @return the number of tokens
     */
    public int size() {
        return vocabulary.size();
    }

    /**
     * Marks tokens as special (never split, skipped when decoding).
     *
     * @param ids the token ids
     * @return this
     */
    public WordLevelTokenizer specials(int... ids) {
        for (int id : ids) {
            specials.add(id);
        }
        return this;
    }

    /**
     * Names the unknown token (default: id 0).
     *
     * @param id its id
     * @return this
     */
    public WordLevelTokenizer unknown(int id) {
        unknown = id;
        return this;
    }

    /**
     * Keeps the case and splits on whitespace only, so tokens such as {@code [INST]} stay whole.
     *
     * @return this
     */
    public WordLevelTokenizer whitespaceOnly() {
        whitespaceOnly = true;
        return keepCase();
    }

    /**
     * Keeps the case (no lower-casing normaliser).
     *
     * @return this
     */
    public WordLevelTokenizer keepCase() {
        keepCase = true;
        return this;
    }

    /**
     * Writes a Llama-style tokenizer into {@code dir}: {@code <unk> <s> </s> <image>} (ids 0 to 3, special),
     * then the words from id 4, case kept, split on whitespace and punctuation; its {@code
     * tokenizer_config.json} adds BOS and names it in Hugging Face's {@code AddedToken} form, without a pad
     * token.
     *
     * @param dir the folder (created)
     * @param words the words
     */
    public static void writeLlamaStyle(Path dir, String... words) {
        List<String> vocab = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "<image>"));
        vocab.addAll(List.of(words));
        of(vocab).specials(0, 1, 2, 3).keepCase().write(dir);
        TextFiles.write(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\":"
                + " {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\", \"pad_token\": null}");
    }

    /**
     * Wraps every text in {@code startId … endId} and a pair in {@code start A end B end}, as CLIP does.
     *
     * @param startId the start token
     * @param endId the end token
     * @return this
     */
    public WordLevelTokenizer wrap(int startId, int endId) {
        return wrap(startId, endId, 0);
    }

    /**
     * Wraps texts as {@link #wrap(int, int)} does, the second text of a pair with token type 1, as BERT's
     * {@code [CLS] A [SEP] B [SEP]}.
     *
     * @param clsId the start token
     * @param sepId the separator token
     * @return this
     */
    public WordLevelTokenizer bertPairs(int clsId, int sepId) {
        return wrap(clsId, sepId, 1);
    }

    private WordLevelTokenizer wrap(int startId, int endId, int secondTypeId) {
        this.start = startId;
        this.end = endId;
        this.pairTypeId = secondTypeId;
        return this;
    }

    /**
     * Writes {@code tokenizer.json} into {@code dir}.
     *
     * @param dir the folder (created)
     * @return the file
     */
    public Path write(Path dir) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        for (int i = 0; i < vocabulary.size(); i++) {
            ids.put(vocabulary.get(i), i);
        }
        JsonArray added = new JsonArray();
        for (int id : specials) {
            added.add(TokenizerJson.addedSpecialToken(id, vocabulary.get(id)));
        }
        JsonObject tok = TokenizerJson.tokenizer(added,
                keepCase ? JsonNull.INSTANCE : TokenizerJson.typed("Lowercase"),
                TokenizerJson.typed(whitespaceOnly ? "WhitespaceSplit" : "Whitespace"),
                start < 0 ? JsonNull.INSTANCE : template(), JsonNull.INSTANCE,
                TokenizerJson.wordLevelModel(ids, vocabulary.get(unknown)));
        return TextFiles.write(dir.resolve("tokenizer.json"), tok.toString());
    }

    /**
     * Writes the {@code tokenizer_config.json} of a Llama tokenizer ({@code <s>}, {@code </s>},
     * {@code <unk>}, BOS added) into {@code dir}.
     *
     * @param dir the folder, which must exist
     */
    public static void writeLlamaConfig(Path dir) {
        TextFiles.write(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\", \"eos_token\":"
                + " \"</s>\", \"unk_token\": \"<unk>\", \"add_bos_token\": true}");
    }

    private JsonObject template() {
        String s = vocabulary.get(start);
        String e = vocabulary.get(end);
        JsonArray single = new JsonArray();
        single.add(TokenizerJson.specialTokenPiece(s, 0));
        single.add(TokenizerJson.sequencePiece("A", 0));
        single.add(TokenizerJson.specialTokenPiece(e, 0));
        JsonArray pair = single.deepCopy();
        pair.add(TokenizerJson.sequencePiece("B", pairTypeId));
        pair.add(TokenizerJson.specialTokenPiece(e, pairTypeId));
        Map<String, Integer> specialTokens = new LinkedHashMap<>();
        specialTokens.put(s, start);
        specialTokens.put(e, end);
        return TokenizerJson.templateProcessing(single, pair, specialTokens);
    }
}
