package org.vlalign.llm;

import com.google.common.base.Verify;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import org.vlalign.Answer;
import org.vlalign.AttentionMap;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.TokenListener;
import org.vlalign.UnsupportedModelException;
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

    /**
     * {@inheritDoc}
     *
     * <p>With {@link GenerationConfig#attentionMap()} the prompt must hold exactly one embedding segment (the
     * image), and the answer carries an {@link AttentionMap} over its positions (a grid {@code rows × 1}): each
     * generated token's attention to them, averaged over layers and heads, as {@link AttentionMap} describes.
     * An answer without tokens (end of sequence first) carries the map of the step that chose the end.
     *
     * @throws UnsupportedModelException if the option is set and this engine cannot record attention (only the
     *     JVM engine's {@link Llama} can)
     * @throws org.vlalign.InvalidArgumentException if the option is set and the prompt does not hold exactly one
     *     embedding segment
     */
    @Override
    public Answer generate(Prompt prompt, GenerationConfig config, TokenListener listener) {
        DecoderInput input = toDecoderInput(prompt);
        if (config.attentionMap()) {
            return generateRecordingAttention(input, config, listener);
        }
        List<TokenListener> listeners = new ArrayList<>();
        listeners.add(listener);
        GenerationResult result = run(List.of(input), config, listeners);
        return result.row(0).toAnswer(input.length(), result.timings());
    }

    /**
     * {@inheritDoc}
     *
     * <p>With {@link GenerationConfig#attentionMap()} each prompt runs on its own, one after another (the
     * attention is recorded for one sequence at a time).
     */
    @Override
    public List<Answer> generateBatch(List<Prompt> prompts, GenerationConfig config) {
        if (config.attentionMap()) {
            List<Answer> out = new ArrayList<>();
            for (Prompt p : prompts) {
                out.add(generate(p, config));
            }
            return out;
        }
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
     * A decoder for one row that records each produced logits' attention to prompt positions {@code [from,
     * to)}, averaged over layers and heads. Engines that cannot record attention keep this default, which
     * refuses.
     *
     * @param from the first recorded position
     * @param to one past the last
     * @return the decoder; close it
     * @throws UnsupportedModelException always, unless the engine overrides it
     * @since 0.2.0
     */
    protected AttentionRecordingDecoder newAttentionRecordingDecoder(int from, int to) {
        throw new UnsupportedModelException("The language model " + this + " cannot record attention, so it"
                + " cannot produce an attention map; load it on the JVM engine (the default, not a trainable"
                + " model) or turn attentionMap off in the GenerationConfig.");
    }

    /**
     * A {@link Decoder} that records its single row's attention to a range of prompt positions.
     *
     * <p>Like every decoder, used by one thread at a time.
     *
     * @since 0.2.0
     */
    public interface AttentionRecordingDecoder extends Decoder {
        /**
         * The attention recorded: one row per logits the single row produced (the prefill's last position,
         * then each step), each with one probability per recorded position, averaged over layers and heads.
         *
         * @return {@code [produced logits][positions]}
         */
        float[][] attention();
    }

    private Answer generateRecordingAttention(DecoderInput input, GenerationConfig config, TokenListener listener) {
        int from = -1;
        int to = -1;
        int pos = 0;
        for (DecoderInput.Part part : input.parts()) {
            int n = part.length();
            if (part instanceof DecoderInput.Embeddings) {
                if (from >= 0) {
                    throw new InvalidArgumentException("an attention map needs a prompt with exactly one"
                            + " embedding segment (the image), but this prompt has several; ask about one image");
                }
                from = pos;
                to = pos + n;
            }
            pos += n;
        }
        if (from < 0) {
            throw new InvalidArgumentException("an attention map needs a prompt with an embedding"
                    + " segment (the image), but this prompt has only tokens");
        }
        List<TokenListener> listeners = new ArrayList<>();
        listeners.add(listener);
        try (AttentionRecordingDecoder decoder = newAttentionRecordingDecoder(from, to)) {
            GenerationResult result =
                    Generator.generate(decoder, List.of(input), config, tokens.specialTokens(), this::decode, listeners);
            Answer answer = result.row(0).toAnswer(input.length(), result.timings());
            float[][] recorded = decoder.attention();
            int rows = Math.max(1, answer.generatedTokens());
            Verify.verify(recorded.length >= rows,
                    "the decoder recorded %s attention rows for %s tokens", recorded.length, rows);
            return answer.withAttentionMap(AttentionMap.of(to - from, 1, Arrays.copyOf(recorded, rows)));
        }
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
