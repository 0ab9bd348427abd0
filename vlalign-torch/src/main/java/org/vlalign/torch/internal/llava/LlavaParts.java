package org.vlalign.torch.internal.llava;

import org.vlalign.LanguageModel;
import org.vlalign.core.VlModelParts;
import org.vlalign.core.prompt.LlavaPromptWrapper;
import org.vlalign.torch.internal.adaptor.MlpAdaptor;
import org.vlalign.torch.internal.clip.ClipFeatureExtractor;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;

/**
 * The parts of a loaded LLaVA-1.5 checkpoint, ready to be composed into a {@link org.vlalign.VlModel}:
 * the CLIP vision tower, the projector, the Llama language model and the prompt template.
 *
 * <p>The record owns the three native parts; {@link #close()} releases them (idempotent, as each
 * part's close is). Thread-safe, as each part is.
 *
 * @param featureExtractor the CLIP vision tower, giving {@code (patches, vision_hidden)} features
 * @param adaptor the two-layer GELU projector to the language model's width
 * @param languageModel the Llama language model (weights under {@code language_model.}): the JVM engine's,
 *     or libtorch's when loaded trainable
 * @param promptWrapper the {@code USER: <image>\n{query} ASSISTANT:} template
 * @param imageTokenIndex the {@code <image>} token id, for raw token prompts
 * @param imageSeqLength the number of positions one image takes
 * @param config the parsed config
 * @param description what was loaded, e.g. {@code llava at /models/llava-1.5-7b-hf}
 * @since 0.1.0
 */
public record LlavaParts(
        ClipFeatureExtractor featureExtractor,
        MlpAdaptor adaptor,
        LanguageModel languageModel,
        LlavaPromptWrapper promptWrapper,
        int imageTokenIndex,
        int imageSeqLength,
        LlavaConfig config,
        String description) implements AutoCloseable {

    /**
     * The parts as every model family's loader returns them, for composition into a {@link
     * org.vlalign.VlModel}; they stay owned by whoever closes either view.
     *
     * @return the extractor, projector, template and language model with the description
     */
    public VlModelParts asVlModelParts() {
        return VlModelParts.of(description, featureExtractor, adaptor, promptWrapper, languageModel);
    }

    /**
     * The language model as libtorch's differentiable Llama, which the parity checks and training need.
     *
     * @return the language model
     * @throws org.vlalign.UnsupportedModelException if the parts were loaded for inference (the JVM engine)
     */
    public LlamaLanguageModel torchLanguageModel() {
        return LlamaLanguageModel.requireLlama(languageModel, "a trainable LLaVA language model");
    }

    /**
     * A replacer of image tokens by features for raw token prompts.
     *
     * @return the replacer for {@link #imageTokenIndex()}
     */
    public LlavaImageTokens imageTokens() {
        return new LlavaImageTokens(imageTokenIndex);
    }

    /** Closes the language model, the adaptor and the vision tower. */
    @Override
    public void close() {
        try {
            languageModel.close();
        } finally {
            try {
                adaptor.close();
            } finally {
                featureExtractor.close();
            }
        }
    }
}
