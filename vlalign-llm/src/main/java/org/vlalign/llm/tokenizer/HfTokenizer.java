package org.vlalign.llm.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.vlalign.CheckpointException;
import org.vlalign.spi.Detokenizer;
import org.vlalign.core.checkpoint.BoundedFiles;
import org.vlalign.core.checkpoint.HfConfigs;

/**
 * A Hugging Face fast tokenizer ({@code tokenizer.json}) with the special tokens of {@code
 * tokenizer_config.json}.
 *
 * <p>{@link #encode} never adds special tokens (the prompt template places BOS itself); {@link
 * #decode} skips them. Thread-safe: the native tokenizer is immutable; {@link #close} must not race
 * calls.
 *
 * <pre>{@code
 * try (HfTokenizer tok = HfTokenizer.fromDirectory(dir).orElseThrow()) {
 *     int[] ids = tok.encode("a photo of a cat");
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class HfTokenizer implements Detokenizer, AutoCloseable {

    /** The tokenizer file name. */
    public static final String TOKENIZER_FILE = "tokenizer.json";
    /** The tokenizer settings file name. */
    public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> specialIds;
    private final OptionalInt bosTokenId;
    private final List<Integer> eosTokenIds;
    private final OptionalInt padTokenId;
    private final boolean addBosToken;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> specialIds, OptionalInt bos,
            List<Integer> eos, OptionalInt pad, boolean addBos) {
        this.tokenizer = tokenizer;
        this.specialIds = Map.copyOf(specialIds);
        this.bosTokenId = bos;
        this.eosTokenIds = List.copyOf(eos);
        this.padTokenId = pad;
        this.addBosToken = addBos;
    }

    /**
     * Loads the tokenizer of a checkpoint folder, if it has one.
     *
     * @param dir the folder
     * @return the tokenizer, or empty when the folder has no {@code tokenizer.json}
     * @throws CheckpointException if the files exist but cannot be read
     */
    public static Optional<HfTokenizer> fromDirectory(Path dir) {
        Path file = dir.resolve(TOKENIZER_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        JsonObject tokJson = readJson(file);
        Map<String, Integer> added = new HashMap<>();
        JsonElement addedTokens = tokJson.get("added_tokens");
        if (addedTokens != null && addedTokens.isJsonArray()) {
            for (JsonElement e : addedTokens.getAsJsonArray()) {
                JsonObject o = e.getAsJsonObject();
                added.put(HfConfigs.getString(o, "content", ""), HfConfigs.getInt(o, "id", -1));
            }
        }
        JsonObject vocab = HfConfigs.subConfig(HfConfigs.subConfig(tokJson, "model"), "vocab");
        JsonObject cfg = Files.isRegularFile(dir.resolve(TOKENIZER_CONFIG_FILE))
                ? readJson(dir.resolve(TOKENIZER_CONFIG_FILE)) : new JsonObject();
        OptionalInt bos = lookup(tokenString(cfg, "bos_token"), added, vocab);
        OptionalInt eos = lookup(tokenString(cfg, "eos_token"), added, vocab);
        OptionalInt pad = lookup(tokenString(cfg, "pad_token"), added, vocab);
        boolean addBos = HfConfigs.getBoolean(cfg, "add_bos_token", bos.isPresent());
        List<Integer> eosIds = new ArrayList<>();
        eos.ifPresent(eosIds::add);
        HuggingFaceTokenizer tok;
        try {
            tok = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optPadding(false)
                    .optTruncation(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException("cannot load tokenizer " + file + ": " + e.getMessage()
                    + "; check that it is a Hugging Face fast-tokenizer file", e);
        }
        return Optional.of(new HfTokenizer(tok, added, bos, eosIds, pad, addBos));
    }

    private static JsonObject readJson(Path file) {
        try {
            JsonElement e = JsonParser.parseString(BoundedFiles.readString(file, BoundedFiles.MAX_TOKENIZER_BYTES));
            if (!e.isJsonObject()) {
                throw new CheckpointException(file + " must hold a JSON object");
            }
            return e.getAsJsonObject();
        } catch (com.google.gson.JsonParseException e) {
            throw new CheckpointException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** A special token in tokenizer_config.json: a string or an AddedToken object {content: ...}. */
    private static String tokenString(JsonObject cfg, String key) {
        if (HfConfigs.isAbsent(cfg, key)) {
            return null;
        }
        JsonElement e = cfg.get(key);
        if (e.isJsonObject()) {
            return HfConfigs.getString(e.getAsJsonObject(), "content", null);
        }
        return e.isJsonPrimitive() ? e.getAsString() : null;
    }

    private static OptionalInt lookup(String token, Map<String, Integer> added, JsonObject vocab) {
        if (token == null) {
            return OptionalInt.empty();
        }
        Integer id = added.get(token);
        if (id == null && vocab.has(token) && vocab.get(token).isJsonPrimitive()) {
            id = vocab.get(token).getAsInt();
        }
        return id == null || id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * Tokenises text without special tokens.
     *
     * @param text the text
     * @return the ids
     */
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            l[i] = ids[i];
        }
        return tokenizer.decode(l, true);
    }

    /**
     * The id of a special (added) token.
     *
     * @param token its text, e.g. {@code <image>}
     * @return the id, if the tokenizer has it
     */
    public OptionalInt specialTokenId(String token) {
        Integer id = specialIds.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /**
     * The BOS id from tokenizer_config.json.
     *
     * @return the id, if configured
     */
    public OptionalInt bosTokenId() {
        return bosTokenId;
    }

    /**
     * The EOS ids from tokenizer_config.json.
     *
     * @return the ids (empty if none)
     */
    public List<Integer> eosTokenIds() {
        return eosTokenIds;
    }

    /**
     * The pad id from tokenizer_config.json.
     *
     * @return the id, if configured
     */
    public OptionalInt padTokenId() {
        return padTokenId;
    }

    /**
     * Whether the tokenizer adds BOS to encoded text by default ({@code add_bos_token}).
     *
     * @return true if it does
     */
    public boolean addBosToken() {
        return addBosToken;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
