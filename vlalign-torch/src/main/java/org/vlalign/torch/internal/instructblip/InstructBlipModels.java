package org.vlalign.torch.internal.instructblip;

import java.nio.file.Path;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.VlModelParts;
import org.vlalign.core.prompt.InstructBlipPromptWrapper;
import org.vlalign.torch.internal.adaptor.LinearAdaptor;
import org.vlalign.torch.internal.blip2.Blip2Config;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.LanguageModel;
import org.vlalign.LoadOptions;
import org.vlalign.torch.internal.llama.LanguageModels;
import org.vlalign.llm.tokenizer.HfTokenizer;

/**
 * Loads an InstructBLIP checkpoint folder (or a BLIP-2 one with a Llama language model) into the parts of a
 * {@link org.vlalign.VlModel}: the instruction-aware feature extractor, {@code language_projection}, the
 * Llama language model (weights under {@code language_model.}, tokenizer from the folder's
 * {@code tokenizer.json}) and the InstructBLIP prompt template.
 *
 * <p>Stateless and thread-safe.
 *
 * <pre>{@code
 * VlModelParts parts = InstructBlipModels.load(Path.of("instructblip-vicuna-7b"));
 * }</pre>
 *
 * @since 0.1.0
 */
public final class InstructBlipModels {
    private InstructBlipModels() {}

    /**
     * Whether a config describes a model this class can load: InstructBLIP, or BLIP-2 for conditional
     * generation, with a Llama language model.
     *
     * @param config the config
     * @return true if {@link #load} will try
     */
    public static boolean hasLlamaLanguageModel(Blip2Config config) {
        return config.textModelType().equals("llama")
                && (config.instructionAware()
                        || config.architectures().stream()
                                .anyMatch(a -> a.endsWith("ForConditionalGeneration")));
    }

    /**
     * Loads the parts.
     *
     * @param dir the checkpoint folder
     * @return the parts, which the caller must close (or compose into a model that owns them)
     * @throws UnsupportedModelException if the language model is not a Llama
     * @throws org.vlalign.CheckpointException if files are missing or disagree with the config
     */
    public static VlModelParts load(Path dir) {
        return load(dir, LoadOptions.DEFAULT);
    }

    /**
     * Loads the parts with options: the language model on the JVM engine in the chosen weight format, or on
     * libtorch when {@link LoadOptions#trainable()}.
     *
     * @param dir the checkpoint folder
     * @param options how to load
     * @return the parts, which the caller must close (or compose into a model that owns them)
     * @throws UnsupportedModelException if the language model is not a Llama
     * @throws org.vlalign.CheckpointException if files are missing or disagree with the config
     */
    public static VlModelParts load(Path dir, LoadOptions options) {
        try (TorchCheckpoint checkpoint = TorchCheckpoint.open(dir)) {
            Blip2Config config = Blip2Config.fromJson(checkpoint.config());
            LlamaConfig text = InstructBlipModel.textConfig(config);
            BlipFeatureExtractor extractor = BlipFeatureExtractor.load(
                    checkpoint,
                    config,
                    BlipFeatureExtractor.preprocessorFor(dir, config),
                    BlipFeatureExtractor.tokenizerFor(dir, config));
            LinearAdaptor adaptor = null;
            HfTokenizer tokenizer = null;
            try {
                adaptor = LinearAdaptor.load(checkpoint, LinearAdaptor.LANGUAGE_PROJECTION);
                InstructBlipModel.checkWidths(config, adaptor, text);
                tokenizer = HfTokenizer.fromDirectory(dir).orElse(null);
                LanguageModel lm = LanguageModels.load(
                        checkpoint, InstructBlipModel.LANGUAGE_MODEL, text, tokenizer, options);
                return VlModelParts.of(config.modelType() + " " + config.architectures() + " at " + dir,
                        extractor, adaptor, InstructBlipPromptWrapper.create(), lm);
            } catch (RuntimeException e) {
                extractor.close();
                if (adaptor != null) {
                    adaptor.close();
                }
                if (tokenizer != null) {
                    tokenizer.close();
                }
                throw e;
            }
        }
    }
}
