package org.vlalign.torch.internal.llama;

import org.vlalign.llm.LlamaConfig;
import org.vlalign.llm.LlamaTokens;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.vlalign.Answer;
import org.vlalign.Checks;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.Prompt;
import org.vlalign.TokenListener;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.generate.GenerationResult;
import org.vlalign.core.generate.Generator;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecodingLanguageModel;
import org.vlalign.spi.DecoderInput;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.Parameterized;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.llm.tokenizer.HfTokenizer;

/**
 * A Llama-family {@link LanguageModel} on DJL PyTorch: Hugging Face weights, optional {@code
 * tokenizer.json}, greedy / beam / sampling generation through {@link Generator}.
 *
 * <p>Prompt segments become decoder inputs as {@link LlamaTokens} maps them: {@code Bos} → the BOS id ({@code
 * bos_token_id}; dropped when the model has none), {@code Text} → the tokenizer's ids without
 * special tokens, {@code Tokens} → as given, {@code Embeddings} → input embedding rows (width must be
 * {@link #hiddenSize()}). Without a tokenizer (e.g. the parity checkpoints) only token and embedding
 * prompts work and {@link #decode} renders ids as numbers.
 *
 * <p>Thread-safe: the weights are shared and immutable; each {@code generate} call opens its own
 * {@link LlamaDecoder} session (child manager and KV cache) and closes it before returning, so any
 * number of threads may generate concurrently. {@link #close} must not race running calls.
 *
 * <pre>{@code
 * try (LlamaLanguageModel lm = LlamaLanguageModel.load(Path.of("TinyLlama"))) {
 *     Answer a = lm.generate(Prompt.builder().bos().text("The capital of France is").build(),
 *             GenerationConfig.builder().maxNewTokens(8).build());
 *     System.out.println(a.text());
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class LlamaLanguageModel implements DecodingLanguageModel, Parameterized {

    private final LlamaModel model;
    private final LlamaTokens tokens;

    private LlamaLanguageModel(LlamaModel model, LlamaTokens tokens) {
        this.model = model;
        this.tokens = tokens;
    }

    /**
     * Loads a Llama checkpoint folder ({@code config.json}, safetensors, optional {@code
     * generation_config.json}, {@code tokenizer.json} and {@code tokenizer_config.json}).
     *
     * @param dir the folder
     * @return the model; close it
     * @throws org.vlalign.CheckpointException if files are missing or do not match the config
     * @throws org.vlalign.UnsupportedModelException for unsupported options
     */
    public static LlamaLanguageModel load(Path dir) {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(dir)) {
            LlamaConfig cfg = LlamaConfig.fromJson(ckpt.config());
            HfTokenizer tok = HfTokenizer.fromDirectory(dir).orElse(null);
            try {
                return load(ckpt, "", cfg, tok);
            } catch (RuntimeException e) {
                if (tok != null) {
                    tok.close();
                }
                throw e;
            }
        }
    }

    /**
     * Builds the language model of a composite checkpoint (InstructBLIP, LLaVA): weights under {@code
     * prefix}, the text config, and the tokenizer (owned and closed by the result).
     *
     * @param checkpoint the open checkpoint (may be closed after this returns)
     * @param prefix the weight-key prefix, e.g. {@code language_model.}
     * @param config the text config
     * @param tokenizer the tokenizer, or null for token-only prompts
     * @return the model; close it
     */
    public static LlamaLanguageModel load(TorchCheckpoint checkpoint, String prefix, LlamaConfig config, HfTokenizer tokenizer) {
        LlamaModel model = LlamaModel.load(checkpoint, prefix, config);
        return new LlamaLanguageModel(model, LlamaTokens.of(config, tokenizer, checkpoint.generationConfig()));
    }

    /**
     * Wraps a loaded model (owned and closed by the result).
     *
     * @param model the weights
     * @param tokenizer the tokenizer or null
     * @param specialTokens the eos and pad ids used by default
     * @return the language model
     */
    public static LlamaLanguageModel of(LlamaModel model, HfTokenizer tokenizer, SpecialTokens specialTokens) {
        return new LlamaLanguageModel(model, LlamaTokens.of(model.config(), tokenizer, specialTokens));
    }

    /**
     * The eos/pad ids: {@code generation_config.json} first, then {@code config.json}, then the tokenizer.
     *
     * @param generationConfig the parsed generation config, if any
     * @param config the model config
     * @param tokenizer the tokenizer or null
     * @return the special tokens
     */
    public static SpecialTokens specialTokens(Optional<JsonObject> generationConfig, LlamaConfig config,
            HfTokenizer tokenizer) {
        return LlamaTokens.specialTokens(generationConfig, config, tokenizer);
    }

    /**
     * The weights.
     *
     * @return the model
     */
    public LlamaModel model() {
        return model;
    }

    /**
     * The language model's weights by checkpoint key (see {@link LlamaModel#parameters()}).
     *
     * @return the read-only view of the live weights
     * @since 0.2.0
     */
    @Override
    public NamedParameters parameters() {
        return model.parameters();
    }

    /**
     * The tokenizer, if the checkpoint has one.
     *
     * @return the tokenizer
     */
    public Optional<HfTokenizer> tokenizer() {
        return tokens.tokenizer();
    }

    /**
     * A language model as this class, for code that works on its weights (training back-propagates
     * through them); the check lives here, in the module that owns the class, so that callers hold only
     * the {@link LanguageModel} interface.
     *
     * @param languageModel a language model, e.g. a loaded model's {@code VlModel.languageModel()}
     * @param user what needs the Llama, for the message
     * @return the same object as a {@code LlamaLanguageModel}
     * @throws UnsupportedModelException if it is another implementation
     */
    public static LlamaLanguageModel requireLlama(LanguageModel languageModel, String user) {
        Checks.checkNotNull(languageModel, "languageModel");
        if (!(languageModel instanceof LlamaLanguageModel llama)) {
            throw new UnsupportedModelException(user + " works on the weights of vlalign-torch's Llama language"
                    + " model, but was given " + languageModel + "; load the language model with TorchModels (a"
                    + " Llama folder, or a checkpoint with a Llama language model)");
        }
        return llama;
    }

    /**
     * The default eos and pad ids.
     *
     * @return the special tokens
     */
    public SpecialTokens specialTokens() {
        return tokens.specialTokens();
    }

    /**
     * Opens a decoder session (for custom generation loops); close it.
     *
     * @return a new session
     */
    @Override
    public Decoder newDecoder() {
        return new LlamaDecoder(model);
    }

    /**
     * {@inheritDoc}
     *
     * @return the first of {@link #specialTokens()}'s end-of-sequence ids ({@code generation_config.json},
     *     then {@code config.json}, then the tokenizer), or empty if none defines one
     */
    @Override
    public OptionalInt eosTokenId() {
        return tokens.eosTokenId();
    }

    @Override
    public int hiddenSize() {
        return model.config().hiddenSize();
    }

    @Override
    public int contextLength() {
        return model.config().maxPositionEmbeddings();
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
     * @throws InvalidArgumentException if an embedding segment's width is not the hidden size, or
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
     * Runs a batch through the generator in a fresh session.
     *
     * @param inputs one input per row
     * @param config the settings
     * @param listeners null or one per row
     * @return the result
     */
    public GenerationResult run(List<DecoderInput> inputs, GenerationConfig config, List<TokenListener> listeners) {
        try (LlamaDecoder decoder = new LlamaDecoder(model)) {
            return Generator.generate(decoder, inputs, config, tokens.specialTokens(), this::decode, listeners);
        }
    }

    @Override
    public void close() {
        model.close();
        tokens.close();
    }
}
