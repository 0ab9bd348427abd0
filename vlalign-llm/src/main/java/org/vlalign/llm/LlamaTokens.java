package org.vlalign.llm;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.llm.tokenizer.HfTokenizer;
import org.vlalign.spi.DecoderInput;

/**
 * The token side of a Llama-family model, shared by every engine: its tokenizer (optional), its
 * beginning-of-sequence id, its end-of-sequence and padding ids, and how a {@link Prompt} becomes a
 * {@link DecoderInput}.
 *
 * <p>Prompt segments map as follows: {@code Bos} → the BOS id ({@code bos_token_id}, else the tokenizer's;
 * dropped when the model has none), {@code Eos} → the first EOS id, {@code Text} → the tokenizer's ids
 * without special tokens, {@code Tokens} → as given, {@code Embeddings} → input embedding rows (their width
 * must be the hidden size). Without a tokenizer only token and embedding prompts work and {@link #decode}
 * renders ids as numbers.
 *
 * <p>Thread-safe. {@link #close} closes the tokenizer.
 *
 * @since 0.2.0
 */
public final class LlamaTokens implements AutoCloseable {
    private final HfTokenizer tokenizer; // may be null
    private final SpecialTokens specialTokens;
    private final int bosTokenId; // -1 if none
    private final int hiddenSize;

    private LlamaTokens(HfTokenizer tokenizer, SpecialTokens specialTokens, int bosTokenId, int hiddenSize) {
        this.tokenizer = tokenizer;
        this.specialTokens = specialTokens;
        this.bosTokenId = bosTokenId;
        this.hiddenSize = hiddenSize;
    }

    /**
     * The token side of a model.
     *
     * @param config the model config
     * @param tokenizer the tokenizer, or null; owned (closed) by the result
     * @param generationConfig the parsed {@code generation_config.json}, if any
     * @return the tokens
     */
    public static LlamaTokens of(LlamaConfig config, HfTokenizer tokenizer, Optional<JsonObject> generationConfig) {
        int bos = config.bosTokenId();
        if (bos < 0 && tokenizer != null && tokenizer.bosTokenId().isPresent()) {
            bos = tokenizer.bosTokenId().getAsInt();
        }
        return new LlamaTokens(tokenizer, specialTokens(generationConfig, config, tokenizer), bos,
                config.hiddenSize());
    }

    /**
     * Like {@link #of(LlamaConfig, HfTokenizer, Optional)} with given special tokens.
     *
     * @param config the model config
     * @param tokenizer the tokenizer, or null; owned (closed) by the result
     * @param specialTokens the eos and pad ids
     * @return the tokens
     */
    public static LlamaTokens of(LlamaConfig config, HfTokenizer tokenizer, SpecialTokens specialTokens) {
        int bos = config.bosTokenId();
        if (bos < 0 && tokenizer != null && tokenizer.bosTokenId().isPresent()) {
            bos = tokenizer.bosTokenId().getAsInt();
        }
        return new LlamaTokens(tokenizer, specialTokens, bos, config.hiddenSize());
    }

    /**
     * The eos/pad ids: {@code generation_config.json} first, then {@code config.json}, then the tokenizer;
     * the pad id falls back to the first EOS id, as Hugging Face's {@code generate} does.
     *
     * @param generationConfig the parsed generation config, if any
     * @param config the model config
     * @param tokenizer the tokenizer or null
     * @return the special tokens
     */
    public static SpecialTokens specialTokens(Optional<JsonObject> generationConfig, LlamaConfig config,
            HfTokenizer tokenizer) {
        int[] eos = config.eosTokenIds();
        int pad = config.padTokenId();
        if (generationConfig.isPresent()) {
            eos = HfConfigs.getIntOrList(generationConfig.get(), "eos_token_id", eos);
            pad = HfConfigs.getInt(generationConfig.get(), "pad_token_id", pad);
        }
        if (eos.length == 0 && tokenizer != null) {
            eos = tokenizer.eosTokenIds().stream().mapToInt(Integer::intValue).toArray();
        }
        if (pad < 0 && tokenizer != null && tokenizer.padTokenId().isPresent()) {
            pad = tokenizer.padTokenId().getAsInt();
        }
        if (pad < 0) {
            pad = eos.length > 0 ? eos[0] : 0;
        }
        return SpecialTokens.of(pad, eos);
    }

    /**
     * The tokenizer, if the checkpoint has one.
     *
     * @return the tokenizer
     */
    public Optional<HfTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /**
     * The default eos and pad ids.
     *
     * @return the special tokens
     */
    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    /**
     * The first end-of-sequence id, the one chat templates close a turn with.
     *
     * @return the id, or empty if the model defines none
     */
    public OptionalInt eosTokenId() {
        List<Integer> eos = specialTokens.eosTokenIds();
        return eos.isEmpty() ? OptionalInt.empty() : OptionalInt.of(eos.get(0));
    }

    /**
     * The beginning-of-sequence id.
     *
     * @return the id, or -1 if the model has none
     */
    public int bosTokenId() {
        return bosTokenId;
    }

    /**
     * Tokenises text without special tokens.
     *
     * @param text the text
     * @return the ids
     * @throws InvalidArgumentException if there is no tokenizer
     */
    public int[] encode(String text) {
        if (tokenizer == null) {
            throw new InvalidArgumentException("this language model has no tokenizer.json, so text cannot be encoded;"
                    + " pass token ids (Prompt.Segment.Tokens) or add tokenizer.json to the checkpoint folder");
        }
        return tokenizer.encode(text);
    }

    /**
     * Decodes ids, skipping special tokens; without a tokenizer, the ids as numbers.
     *
     * @param ids the ids
     * @return the text
     */
    public String decode(int[] ids) {
        if (tokenizer != null) {
            return tokenizer.decode(ids);
        }
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(" "));
    }

    /**
     * Converts a prompt into a decoder input.
     *
     * @param prompt the prompt
     * @return the decoder input
     * @throws InvalidArgumentException if an embedding segment's width is not the hidden size, text is given
     *     without a tokenizer, or the prompt is empty
     */
    public DecoderInput toDecoderInput(Prompt prompt) {
        List<DecoderInput.Part> parts = new ArrayList<>();
        for (Prompt.Segment s : prompt.segments()) {
            if (s instanceof Prompt.Segment.Bos) {
                if (bosTokenId >= 0) {
                    parts.add(new DecoderInput.Tokens(new int[] {bosTokenId}));
                }
            } else if (s instanceof Prompt.Segment.Eos) {
                if (specialTokens.eosTokenIds().isEmpty()) {
                    throw new InvalidArgumentException("the prompt has an end-of-sequence segment but this model "
                            + "defines no eos_token_id; set it in config.json or generation_config.json");
                }
                parts.add(new DecoderInput.Tokens(new int[] {specialTokens.eosTokenIds().get(0)}));
            } else if (s instanceof Prompt.Segment.Text t) {
                int[] ids = encode(t.text());
                if (ids.length > 0) {
                    parts.add(new DecoderInput.Tokens(ids));
                }
            } else if (s instanceof Prompt.Segment.Tokens t) {
                if (t.ids().length > 0) {
                    parts.add(new DecoderInput.Tokens(t.ids()));
                }
            } else if (s instanceof Prompt.Segment.Embeddings e) {
                if (e.features().cols() != hiddenSize) {
                    throw new InvalidArgumentException("embedding segment has width " + e.features().cols()
                            + " but the language model's hidden size is " + hiddenSize
                            + "; project the features to " + hiddenSize + " (check the adaptor)");
                }
                parts.add(new DecoderInput.Embeddings(e.features()));
            }
        }
        if (parts.isEmpty()) {
            throw new InvalidArgumentException("the prompt is empty after tokenisation; give at least one token");
        }
        return new DecoderInput(parts);
    }

    /** Closes the tokenizer. Idempotent. */
    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
