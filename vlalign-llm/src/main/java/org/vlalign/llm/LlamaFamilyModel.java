package org.vlalign.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.Prompt;
import org.vlalign.TokenListener;
import org.vlalign.core.generate.GenerationResult;
import org.vlalign.core.generate.Generator;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;
import org.vlalign.spi.DecodingLanguageModel;

/**
 * What every engine's Llama-family language model shares: its tokens (tokenizer and special ids) and
 * generation through {@link Generator} on a fresh {@link Decoder} per call. An engine supplies the
 * config and the decoder ({@link #newDecoder}); the JVM engine's {@link Llama} and the libtorch one extend
 * this class.
 *
 * <p>Thread-safe when the engine's decoders are: each call opens its own.
 *
 * @since 0.2.0
 */
public abstract class LlamaFamilyModel implements DecodingLanguageModel {
    /** The tokenizer and special tokens; closed by {@link #close}. */
    protected final LlamaTokens tokens;

    /**
     * Takes the tokens.
     *
     * @param tokens the tokenizer and special tokens, owned from now on
     */
    protected LlamaFamilyModel(LlamaTokens tokens) {
        this.tokens = tokens;
    }

    /**
     * The text config.
     *
     * @return the config
     */
    public abstract LlamaConfig config();

    /**
     * The default end-of-sequence and padding ids.
     *
     * @return the special tokens
     */
    public SpecialTokens specialTokens() {
        return tokens.specialTokens();
    }

    /**
     * {@inheritDoc}
     *
     * @return the first end-of-sequence id ({@code generation_config.json}, then {@code config.json}, then the
     *     tokenizer), or empty if none defines one
     */
    @Override
    public OptionalInt eosTokenId() {
        return tokens.eosTokenId();
    }

    @Override
    public int hiddenSize() {
        return config().hiddenSize();
    }

    @Override
    public int contextLength() {
        return config().maxPositionEmbeddings();
    }

    @Override
    public int[] encode(String text) {
        return tokens.encode(text);
    }

    @Override
    public String decode(int[] ids) {
        return tokens.decode(ids);
    }

    /**
     * Converts a prompt into a decoder input.
     *
     * @param prompt the prompt
     * @return the decoder input
     * @throws org.vlalign.InvalidArgumentException if an embedding segment's width is not the hidden size, or
     *     text is given without a tokenizer
     */
    @Override
    public DecoderInput toDecoderInput(Prompt prompt) {
        return tokens.toDecoderInput(prompt);
    }

    @Override
    public Answer generate(Prompt prompt, GenerationConfig config, TokenListener listener) {
        DecoderInput input = toDecoderInput(prompt);
        List<TokenListener> listeners = new ArrayList<>();
        listeners.add(listener);
        GenerationResult result = run(List.of(input), config, listeners);
        return result.row(0).toAnswer(input.length(), result.timings());
    }

    @Override
    public List<Answer> generateBatch(List<Prompt> prompts, GenerationConfig config) {
        List<DecoderInput> inputs = new ArrayList<>();
        for (Prompt p : prompts) {
            inputs.add(toDecoderInput(p));
        }
        GenerationResult result = run(inputs, config, null);
        List<Answer> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            out.add(result.row(i).toAnswer(inputs.get(i).length(), result.timings()));
        }
        return out;
    }

    /**
     * Runs a batch through the generator on a fresh decoder.
     *
     * @param inputs one input per row
     * @param config the settings
     * @param listeners null or one per row
     * @return the result
     */
    public GenerationResult run(List<DecoderInput> inputs, GenerationConfig config, List<TokenListener> listeners) {
        try (Decoder decoder = newDecoder()) {
            return Generator.generate(decoder, inputs, config, tokens.specialTokens(), this::decode, listeners);
        }
    }
}
