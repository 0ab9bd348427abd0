package org.vlalign.torch.internal.llama;

import org.vlalign.llm.LlamaConfig;
import org.vlalign.llm.LlamaFamilyModel;
import org.vlalign.llm.LlamaTokens;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Optional;
import org.vlalign.Checks;
import org.vlalign.LanguageModel;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.generate.Generator;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.spi.Decoder;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.Parameterized;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
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
public final class LlamaLanguageModel extends LlamaFamilyModel implements Parameterized {

    private final LlamaModel model;

    private LlamaLanguageModel(LlamaModel model, LlamaTokens tokens) {
        super(tokens);
        this.model = model;
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

    @Override
    public LlamaConfig config() {
        return model.config();
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

    @Override
    public void close() {
        model.close();
        tokens.close();
    }
}
