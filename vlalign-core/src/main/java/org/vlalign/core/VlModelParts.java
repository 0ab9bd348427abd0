package org.vlalign.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.vlalign.Adaptor;
import org.vlalign.Checks;
import org.vlalign.FeatureExtractor;
import org.vlalign.LanguageModel;
import org.vlalign.PromptWrapper;
import org.vlalign.VlalignException;

/**
 * What a model family's loader reads from a checkpoint, before it is composed: a feature extractor and,
 * for checkpoints that answer questions, the language side (adaptor, prompt template, language model).
 * Every loader returns this one value and {@link ComposedVlModel.Builder#parts(VlModelParts)} composes
 * it, so each family differs only in what it reads, never in how it is put together.
 *
 * <p>The language side is all or nothing: a checkpoint without a language model vlalign runs (CLIP,
 * BLIP-2 retrieval, BLIP-2 with an OPT or T5 language model) is {@link #searchOnly searchOnly}, and the
 * model composed from it {@link org.vlalign.VlModel#canAnswer() cannot answer}; its {@link #description()}
 * says what was loaded and what it lacks, for the message of that refusal.
 *
 * <pre>{@code
 * VlModelParts parts = VlModelParts.of("llava at " + dir, tower, projector, wrapper, llama);
 * VlModel model = ComposedVlModel.builder().parts(parts).ownsParts(true).build();
 * }</pre>
 *
 * <p>Immutable and thread-safe, as the parts are. The record does not own the parts; {@link #close()} is
 * there for a loader or caller that gives up before composing them.
 *
 * @param description what was loaded, e.g. {@code clip [CLIPModel] at /models/clip-vit-b32}, and for a
 *     search-only checkpoint why it has no language side
 * @param featureExtractor the feature extractor
 * @param adaptor the adaptor; empty for a search-only checkpoint
 * @param promptWrapper the prompt template; empty for a search-only checkpoint
 * @param languageModel the language model; empty for a search-only checkpoint
 * @since 0.2.0
 */
public record VlModelParts(
        String description,
        FeatureExtractor featureExtractor,
        Optional<Adaptor> adaptor,
        Optional<PromptWrapper> promptWrapper,
        Optional<LanguageModel> languageModel)
        implements AutoCloseable {

    /**
     * Validates.
     *
     * @throws org.vlalign.InvalidArgumentException if a component is null, the description is blank, or
     *     the language side is partly present
     */
    public VlModelParts {
        Checks.checkNotNull(description, "description");
        Checks.checkArgument(!description.isBlank(), "description must not be blank");
        Checks.checkNotNull(featureExtractor, "featureExtractor");
        Checks.checkNotNull(adaptor, "adaptor");
        Checks.checkNotNull(promptWrapper, "promptWrapper");
        Checks.checkNotNull(languageModel, "languageModel");
        boolean any = adaptor.isPresent() || promptWrapper.isPresent() || languageModel.isPresent();
        boolean all = adaptor.isPresent() && promptWrapper.isPresent() && languageModel.isPresent();
        Checks.checkArgument(!any || all,
                "the language side is adaptor, promptWrapper and languageModel together, or none of them for"
                        + " a search-only model, but %s has adaptor %s, promptWrapper %s, languageModel %s",
                description, adaptor.isPresent(), promptWrapper.isPresent(), languageModel.isPresent());
    }

    /**
     * The parts of a checkpoint that answers questions.
     *
     * @param description what was loaded
     * @param featureExtractor the feature extractor
     * @param adaptor the adaptor
     * @param promptWrapper the prompt template
     * @param languageModel the language model
     * @return the parts
     * @throws org.vlalign.InvalidArgumentException if a part is null
     */
    public static VlModelParts of(String description, FeatureExtractor featureExtractor, Adaptor adaptor,
            PromptWrapper promptWrapper, LanguageModel languageModel) {
        return new VlModelParts(description, featureExtractor,
                Optional.of(Checks.checkNotNull(adaptor, "adaptor")),
                Optional.of(Checks.checkNotNull(promptWrapper, "promptWrapper")),
                Optional.of(Checks.checkNotNull(languageModel, "languageModel")));
    }

    /**
     * The parts of a checkpoint without a language model vlalign runs.
     *
     * @param description what was loaded and what it lacks, e.g. {@code blip-2
     *     [Blip2ForImageTextRetrieval] at /models/blip2-itm, which has no language model}
     * @param featureExtractor the feature extractor
     * @return the parts
     */
    public static VlModelParts searchOnly(String description, FeatureExtractor featureExtractor) {
        return new VlModelParts(description, featureExtractor, Optional.empty(), Optional.empty(),
                Optional.empty());
    }

    /**
     * Whether the language side is present.
     *
     * @return true if the parts answer questions
     */
    public boolean canAnswer() {
        return languageModel.isPresent();
    }

    /**
     * Closes every part (language model, adaptor, extractor), all of them even if one fails. Idempotent
     * when the parts' own {@code close} is.
     *
     * @throws VlalignException if a part failed to close; the others were still closed
     */
    @Override
    public void close() {
        List<AutoCloseable> parts = new ArrayList<>();
        languageModel.ifPresent(parts::add);
        adaptor.ifPresent(parts::add);
        parts.add(featureExtractor);
        Closeables.closeAll(parts);
    }
}
