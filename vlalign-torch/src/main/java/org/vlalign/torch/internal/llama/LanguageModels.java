package org.vlalign.torch.internal.llama;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.LanguageModel;
import org.vlalign.LoadOptions;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.llm.LlmOptions;
import org.vlalign.llm.tokenizer.HfTokenizer;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;

/**
 * Loads the Llama-family language model of a checkpoint the way {@link LoadOptions} ask: on the JVM engine
 * ({@link Llama}, in the chosen weight format) for inference, or on libtorch ({@link LlamaLanguageModel},
 * fp32, differentiable) when the options ask for a trainable model. Also applies the thread setting to
 * libtorch. Stateless and thread-safe.
 */
public final class LanguageModels {
    private static final Logger LOG = LoggerFactory.getLogger(LanguageModels.class);

    private LanguageModels() {}

    /**
     * Loads a Llama-family folder.
     *
     * @param dir the folder
     * @param options how to load
     * @return the language model; close it
     */
    public static LanguageModel load(Path dir, LoadOptions options) {
        applyThreads(options);
        if (options.trainable()) {
            return LlamaLanguageModel.load(dir);
        }
        return Llama.load(dir, llmOptions(options));
    }

    /**
     * Loads the language model of a composite checkpoint (InstructBLIP, LLaVA).
     *
     * @param checkpoint the open checkpoint (may be closed after this returns)
     * @param prefix the weight-key prefix, e.g. {@code language_model.}
     * @param config the text config
     * @param tokenizer the tokenizer or null; owned (closed) by the result
     * @param options how to load
     * @return the language model; close it
     */
    public static LanguageModel load(TorchCheckpoint checkpoint, String prefix, LlamaConfig config,
            HfTokenizer tokenizer, LoadOptions options) {
        applyThreads(options);
        if (options.trainable()) {
            return LlamaLanguageModel.load(checkpoint, prefix, config, tokenizer);
        }
        return Llama.load(checkpoint.checkpoint(), prefix, config, tokenizer, llmOptions(options));
    }

    /**
     * The JVM engine's options for these load options.
     *
     * @param options the load options
     * @return the engine's options
     */
    public static LlmOptions llmOptions(LoadOptions options) {
        return new LlmOptions(options.weights(), options.threads(), options.lora(), options.cacheWeights());
    }

    /**
     * Sets libtorch's intra-op threads when the options name a count (libtorch's setting is per process).
     *
     * @param options the load options
     */
    public static void applyThreads(LoadOptions options) {
        if (options.threads() > 0) {
            Engine.getEngine("PyTorch"); // loads the native library before it is configured
            if (JniUtils.getNumThreads() != options.threads()) {
                LOG.info("libtorch intra-op threads: {} -> {}", JniUtils.getNumThreads(), options.threads());
                JniUtils.setNumThreads(options.threads());
            }
        }
    }
}
