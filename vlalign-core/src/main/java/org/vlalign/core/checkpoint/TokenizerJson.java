package org.vlalign.core.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.util.Map;

/**
 * Builds the JSON tree of a Hugging Face {@code tokenizer.json} (the {@code tokenizers} library's format
 * 1.0) with a word-level model: the root with its keys in the library's order, the added special tokens,
 * template post-processors and the {@code WordLevel} model. The caller picks the normaliser, pre-tokenizer
 * and decoder and prints the tree; vlalign-model writes the default model's tokenizer with it and
 * vlalign-testing the tiny tokenizers of test checkpoints.
 *
 * <pre>{@code
 * JsonArray added = new JsonArray();
 * added.add(TokenizerJson.addedSpecialToken(0, "<unk>"));
 * JsonObject root = TokenizerJson.tokenizer(added, TokenizerJson.typed("Lowercase"),
 *         TokenizerJson.typed("Whitespace"), JsonNull.INSTANCE, JsonNull.INSTANCE,
 *         TokenizerJson.wordLevelModel(Map.of("<unk>", 0, "red", 1), "<unk>"));
 * }</pre>
 *
 * <p>Stateless and thread-safe; every call returns a new tree.
 *
 * @since 0.3.0
 */
public final class TokenizerJson {

    private TokenizerJson() {}

    /**
     * The root object: {@code version}, {@code truncation} and {@code padding} (both {@code null}), then
     * the given parts, in the order the {@code tokenizers} library writes them.
     *
     * @param addedTokens the added tokens, e.g. from {@link #addedSpecialToken(int, String)}
     * @param normalizer the normaliser, or {@link JsonNull#INSTANCE}
     * @param preTokenizer the pre-tokenizer, or {@link JsonNull#INSTANCE}
     * @param postProcessor the post-processor, or {@link JsonNull#INSTANCE}
     * @param decoder the decoder, or {@link JsonNull#INSTANCE}
     * @param model the model, e.g. from {@link #wordLevelModel(Map, String)}
     * @return the {@code tokenizer.json} tree
     */
    public static JsonObject tokenizer(JsonArray addedTokens, JsonElement normalizer, JsonElement preTokenizer,
            JsonElement postProcessor, JsonElement decoder, JsonObject model) {
        JsonObject root = new JsonObject();
        root.addProperty("version", "1.0");
        root.add("truncation", JsonNull.INSTANCE);
        root.add("padding", JsonNull.INSTANCE);
        root.add("added_tokens", addedTokens);
        root.add("normalizer", normalizer);
        root.add("pre_tokenizer", preTokenizer);
        root.add("post_processor", postProcessor);
        root.add("decoder", decoder);
        root.add("model", model);
        return root;
    }

    /**
     * An entry of {@code added_tokens} for a special token: matched whole, before normalisation, and
     * skipped when decoding with special tokens skipped.
     *
     * @param id the token's id
     * @param content the token
     * @return the entry
     */
    public static JsonObject addedSpecialToken(int id, String content) {
        JsonObject token = new JsonObject();
        token.addProperty("id", id);
        token.addProperty("content", content);
        token.addProperty("single_word", false);
        token.addProperty("lstrip", false);
        token.addProperty("rstrip", false);
        token.addProperty("normalized", false);
        token.addProperty("special", true);
        return token;
    }

    /**
     * A component with only a type, such as {@code {"type": "Lowercase"}}; add further keys to it for a
     * component that has options.
     *
     * @param type the component's type
     * @return a new object
     */
    public static JsonObject typed(String type) {
        JsonObject component = new JsonObject();
        component.addProperty("type", type);
        return component;
    }

    /**
     * The {@code WordLevel} model: each word maps to its id, any other word to {@code unkToken}.
     *
     * @param vocab token to id, written in the map's order
     * @param unkToken the unknown token, which {@code vocab} holds
     * @return the model
     */
    public static JsonObject wordLevelModel(Map<String, Integer> vocab, String unkToken) {
        JsonObject ids = new JsonObject();
        vocab.forEach(ids::addProperty);
        JsonObject model = typed("WordLevel");
        model.add("vocab", ids);
        model.addProperty("unk_token", unkToken);
        return model;
    }

    /**
     * A {@code TemplateProcessing} post-processor.
     *
     * @param single the pieces of a single text, from {@link #specialTokenPiece} and {@link #sequencePiece}
     * @param pair the pieces of a pair of texts
     * @param specialTokens the special tokens the templates name, token to id, in the order written
     * @return the post-processor
     */
    public static JsonObject templateProcessing(JsonArray single, JsonArray pair, Map<String, Integer> specialTokens) {
        JsonObject specials = new JsonObject();
        specialTokens.forEach((token, id) -> specials.add(token, templateSpecialToken(token, id)));
        JsonObject processor = typed("TemplateProcessing");
        processor.add("single", single);
        processor.add("pair", pair);
        processor.add("special_tokens", specials);
        return processor;
    }

    /**
     * A template piece that inserts a special token, {@code {"SpecialToken": {"id": "<s>", "type_id": 0}}}.
     *
     * @param token the special token
     * @param typeId its token type
     * @return the piece
     */
    public static JsonObject specialTokenPiece(String token, int typeId) {
        return templatePiece("SpecialToken", token, typeId);
    }

    /**
     * A template piece that inserts one of the texts, {@code {"Sequence": {"id": "A", "type_id": 0}}}.
     *
     * @param sequence {@code A} for the first text, {@code B} for the second of a pair
     * @param typeId the token type of its tokens
     * @return the piece
     */
    public static JsonObject sequencePiece(String sequence, int typeId) {
        return templatePiece("Sequence", sequence, typeId);
    }

    private static JsonObject templatePiece(String kind, String id, int typeId) {
        JsonObject inner = new JsonObject();
        inner.addProperty("id", id);
        inner.addProperty("type_id", typeId);
        JsonObject piece = new JsonObject();
        piece.add(kind, inner);
        return piece;
    }

    /** The {@code special_tokens} entry of a template: {@code {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}. */
    private static JsonObject templateSpecialToken(String token, int id) {
        JsonObject entry = new JsonObject();
        entry.addProperty("id", token);
        JsonArray ids = new JsonArray();
        ids.add(id);
        entry.add("ids", ids);
        JsonArray tokens = new JsonArray();
        tokens.add(token);
        entry.add("tokens", tokens);
        return entry;
    }
}
