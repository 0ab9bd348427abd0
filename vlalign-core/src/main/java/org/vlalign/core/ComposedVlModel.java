package org.vlalign.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.vlalign.Adaptor;
import org.vlalign.Answer;
import org.vlalign.AskRequest;
import org.vlalign.Chat;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageIndex;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.Prompt;
import org.vlalign.PromptWrapper;
import org.vlalign.SearchHit;
import org.vlalign.TokenListener;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.index.ExactImageIndex;

/**
 * A {@link VlModel} composed of five parts: image → {@link FeatureExtractor} → {@link Adaptor} →
 * {@link PromptWrapper} → {@link LanguageModel}, and for search the extractor's text and image
 * vectors in an {@link ImageIndex}.
 *
 * <pre>{@code
 * VlModel model = ComposedVlModel.builder()
 *         .featureExtractor(qformer)               // (32, 768) features
 *         .adaptor(linear)                         // 768 -> 4096
 *         .promptWrapper(Llama2ChatPromptWrapper.create().withEosTokenId(2))
 *         .languageModel(llama)                    // hidden size 4096
 *         .ownsParts(true)                         // close() closes the parts
 *         .build();
 * Answer answer = model.ask(ImageInput.of(Path.of("cat.jpg")), "What is on the table?");
 * }</pre>
 *
 * <p><b>Asking.</b> {@link #ask} extracts the image's features (with the query as the instruction
 * when the extractor {@link FeatureExtractor#acceptsInstruction() accepts one}, else with none),
 * adapts them, wraps them with the query and generates. The template's {@link
 * PromptWrapper#stopStrings() stop strings} are added to the config's (unless {@link
 * Builder#templateStopStrings(boolean) turned off}). An empty query is allowed.
 * The answer's {@link org.vlalign.Timings#extract() extract} time covers image decoding,
 * preprocessing, extraction and adaptation (the extractor does all but the last, so they are not
 * told apart: {@code preprocess} is zero); prefill and decode come from the language model. {@link
 * #askBatch} extracts all images in one {@link FeatureExtractor#extractBatch} call and generates
 * with {@link LanguageModel#generateBatch}; each answer reports an equal share of the batch's
 * extraction time.
 *
 * <p><b>Chats</b> are {@link ComposedChat}s; see there how instruction-aware extractors are handled.
 *
 * <p><b>Search.</b> {@link #search} embeds the text with {@link FeatureExtractor#embedText} and
 * searches the index; {@link #index} stores {@link FeatureExtractor#embedImage} vectors. Without an
 * index from the builder, an in-memory {@link ExactImageIndex} in the extractor's space is created on
 * first use. Search texts must not be blank and may have at most {@value #MAX_SEARCH_TEXT_CHARS}
 * characters. An extractor without search projections makes {@link #search}, {@link #index} and
 * {@link #imageIndex()} throw {@link UnsupportedModelException}.
 *
 * <p><b>Checks.</b> {@link Builder#build()} refuses an adaptor whose output width differs from the
 * language model's hidden size, and an index whose space differs from the extractor's. The
 * extractor's feature width is checked against the adaptor's input width on every call (the
 * extractor does not declare it up front).
 *
 * <p><b>Resources.</b> {@link #close()} closes the index it created itself, and the parts and the
 * given index only if built with {@link Builder#ownsParts(boolean) ownsParts(true)}.
 *
 * <p>Thread-safe: the parts are thread-safe, the model keeps no per-call state, and the default index
 * is created once under a lock. Any number of threads may ask, search and index concurrently; each
 * gets what a sequential call would. Calls after {@link #close()} throw {@link
 * IllegalStateException}.
 *
 * @since 0.1.0
 */
public final class ComposedVlModel implements VlModel {
    /** The longest search text accepted, in characters. */
    public static final int MAX_SEARCH_TEXT_CHARS = 10_000;

    private final FeatureExtractor featureExtractor;
    private final Adaptor adaptor;
    private final PromptWrapper promptWrapper;
    private final LanguageModel languageModel;
    private final ImageIndex givenIndex;
    private final GenerationConfig defaultConfig;
    private final boolean ownsParts;
    private final boolean templateStopStrings;

    private final Object indexLock = new Object();
    private volatile ImageIndex createdIndex;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ComposedVlModel(Builder b) {
        this.featureExtractor = b.featureExtractor;
        this.adaptor = b.adaptor;
        this.promptWrapper = b.promptWrapper;
        this.languageModel = b.languageModel;
        this.givenIndex = b.imageIndex;
        this.defaultConfig = b.defaultConfig;
        this.ownsParts = b.ownsParts;
        this.templateStopStrings = b.templateStopStrings;
    }

    /**
     * A builder with no parts, {@link GenerationConfig#DEFAULT} and {@code ownsParts(false)}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder with this model's parts, given index, default config and ownership flag, for example
     * to attach a persistent index to a loaded model. The new model shares the parts: if both own
     * them, closing either closes them for both (closing is idempotent), so keep using only one.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.featureExtractor = featureExtractor;
        b.adaptor = adaptor;
        b.promptWrapper = promptWrapper;
        b.languageModel = languageModel;
        b.imageIndex = givenIndex;
        b.defaultConfig = defaultConfig;
        b.ownsParts = ownsParts;
        b.templateStopStrings = templateStopStrings;
        return b;
    }

    /**
     * The settings of {@link #ask(ImageInput, String)} and {@link Chat#send(String)}.
     *
     * @return the default config
     */
    public GenerationConfig defaultConfig() {
        return defaultConfig;
    }

    /**
     * Whether {@link #close()} closes the parts and the given index.
     *
     * @return the ownership flag
     */
    public boolean ownsParts() {
        return ownsParts;
    }

    @Override
    public Answer ask(ImageInput image, String query) {
        return ask(image, query, defaultConfig);
    }

    @Override
    public Answer ask(ImageInput image, String query, GenerationConfig config, TokenListener listener) {
        checkOpen();
        notNull(image, "image");
        notNull(query, "query");
        notNull(config, "config");
        notNull(listener, "listener");
        long start = System.nanoTime();
        Features embeddings = embed(image, query);
        Duration extract = Duration.ofNanos(System.nanoTime() - start);
        Prompt prompt = promptWrapper.wrap(embeddings, query);
        Answer answer = languageModel.generate(prompt, withTemplateStops(config), listener);
        return answer.withTimings(answer.timings().withVision(Duration.ZERO, extract));
    }

    @Override
    public List<Answer> askBatch(List<AskRequest> requests, GenerationConfig config) {
        checkOpen();
        notNull(requests, "requests");
        notNull(config, "config");
        if (requests.isEmpty()) {
            return List.of();
        }
        List<ImageInput> images = new ArrayList<>(requests.size());
        List<String> instructions = new ArrayList<>(requests.size());
        for (AskRequest r : requests) {
            notNull(r, "request");
            images.add(r.image());
            instructions.add(instructionFor(r.query()));
        }
        long start = System.nanoTime();
        List<Features> features = featureExtractor.extractBatch(images, instructions);
        if (features.size() != requests.size()) {
            throw new VlalignException(String.format(
                    "feature extractor %s returned %d results for a batch of %d images; it must return"
                            + " one per image",
                    featureExtractor, features.size(), requests.size()));
        }
        List<Prompt> prompts = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            Features embeddings = adapt(features.get(i));
            prompts.add(promptWrapper.wrap(embeddings, requests.get(i).query()));
        }
        Duration extractShare = Duration.ofNanos((System.nanoTime() - start) / requests.size());
        List<Answer> answers = languageModel.generateBatch(prompts, withTemplateStops(config));
        List<Answer> out = new ArrayList<>(answers.size());
        for (Answer a : answers) {
            out.add(a.withTimings(a.timings().withVision(Duration.ZERO, extractShare)));
        }
        return List.copyOf(out);
    }

    @Override
    public Chat newChat(ImageInput image, String systemPrompt) {
        checkOpen();
        notNull(image, "image");
        notNull(systemPrompt, "systemPrompt");
        return new ComposedChat(this, image, systemPrompt);
    }

    @Override
    public void index(String id, ImageInput image, Map<String, String> metadata) {
        checkOpen();
        notNull(id, "id");
        notNull(image, "image");
        notNull(metadata, "metadata");
        ImageIndex index = imageIndex();
        index.upsert(id, featureExtractor.embedImage(image), metadata);
    }

    @Override
    public List<SearchHit> search(String text, int k) {
        checkOpen();
        checkSearchText(text);
        if (k < 1) {
            throw new InvalidArgumentException("k must be at least 1 but was " + k);
        }
        ImageIndex index = imageIndex();
        return index.search(featureExtractor.embedText(text), k);
    }

    @Override
    public ImageIndex imageIndex() {
        checkOpen();
        if (givenIndex != null) {
            return givenIndex;
        }
        ImageIndex index = createdIndex;
        if (index == null) {
            synchronized (indexLock) {
                index = createdIndex;
                if (index == null) {
                    EmbeddingSpace space = searchSpace(featureExtractor).orElseThrow(() ->
                            new UnsupportedModelException(
                                    "This model cannot search: its feature extractor " + featureExtractor
                                            + " has no search projections. Use a checkpoint with them"
                                            + " (BLIP-2 retrieval, CLIP) for search and indexing."));
                    index = ExactImageIndex.inMemory(space);
                    createdIndex = index;
                }
            }
        }
        return index;
    }

    @Override
    public FeatureExtractor featureExtractor() {
        return featureExtractor;
    }

    @Override
    public Adaptor adaptor() {
        return adaptor;
    }

    @Override
    public PromptWrapper promptWrapper() {
        return promptWrapper;
    }

    @Override
    public LanguageModel languageModel() {
        return languageModel;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<AutoCloseable> toClose = new ArrayList<>();
        synchronized (indexLock) {
            if (createdIndex != null) {
                toClose.add(createdIndex);
            }
        }
        if (ownsParts) {
            if (givenIndex != null) {
                toClose.add(givenIndex);
            }
            toClose.add(languageModel);
            toClose.add(adaptor);
            toClose.add(featureExtractor);
        }
        RuntimeException failure = null;
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new VlalignException("Closing " + c + " failed: " + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "ComposedVlModel[" + featureExtractor + " -> " + adaptor + " -> " + promptWrapper.name()
                + " -> " + languageModel + "]";
    }

    // ---- shared with ComposedChat ----

    /** The instruction given to the extractor for a query. */
    String instructionFor(String query) {
        return featureExtractor.acceptsInstruction() ? query : "";
    }

    /** Extracts and adapts the features of an image, the query serving as instruction if used. */
    Features embed(ImageInput image, String query) {
        return adapt(featureExtractor.extract(image, instructionFor(query)));
    }

    /** The config with the template's stop strings added. */
    GenerationConfig withTemplateStops(GenerationConfig config) {
        List<String> extra = templateStopStrings ? promptWrapper.stopStrings() : List.of();
        if (extra.isEmpty() || config.stopStrings().containsAll(extra)) {
            return config;
        }
        List<String> stops = new ArrayList<>(config.stopStrings());
        for (String s : extra) {
            if (!stops.contains(s)) {
                stops.add(s);
            }
        }
        return config.toBuilder().stopStrings(stops).build();
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this ComposedVlModel is closed: " + this);
        }
    }

    private Features adapt(Features features) {
        if (features.shape().length != 2 || features.cols() != adaptor.inputDim()) {
            throw new UnsupportedModelException(String.format(
                    "The feature extractor %s produced features of shape %s, but the adaptor %s expects"
                            + " (tokens, %d). Compose an adaptor whose input width is the extractor's"
                            + " feature width.",
                    featureExtractor, Arrays.toString(features.shape()), adaptor, adaptor.inputDim()));
        }
        return adaptor.adapt(features);
    }

    private static void checkSearchText(String text) {
        if (text == null) {
            throw new InvalidArgumentException("search text must not be null");
        }
        if (text.isBlank()) {
            throw new InvalidArgumentException(
                    "search text must not be empty or blank; describe the images to find, e.g. \"a red car\"");
        }
        if (text.length() > MAX_SEARCH_TEXT_CHARS) {
            throw new InvalidArgumentException(String.format(
                    "search text is %d characters long, more than the %d accepted; shorten the query",
                    text.length(), MAX_SEARCH_TEXT_CHARS));
        }
    }

    private static Optional<EmbeddingSpace> searchSpace(FeatureExtractor extractor) {
        try {
            return Optional.of(extractor.embeddingSpace());
        } catch (UnsupportedModelException e) {
            return Optional.empty();
        }
    }

    private static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new InvalidArgumentException(name + " must not be null");
        }
        return value;
    }

    /**
     * Builds a {@link ComposedVlModel}. Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private FeatureExtractor featureExtractor;
        private Adaptor adaptor;
        private PromptWrapper promptWrapper;
        private LanguageModel languageModel;
        private ImageIndex imageIndex;
        private GenerationConfig defaultConfig = GenerationConfig.DEFAULT;
        private boolean ownsParts;
        private boolean templateStopStrings = true;

        private Builder() {}

        /**
         * Sets the feature extractor.
         *
         * @param featureExtractor the extractor
         * @return this builder
         */
        public Builder featureExtractor(FeatureExtractor featureExtractor) {
            this.featureExtractor = featureExtractor;
            return this;
        }

        /**
         * Sets the adaptor.
         *
         * @param adaptor the adaptor; its output width must be the language model's hidden size
         * @return this builder
         */
        public Builder adaptor(Adaptor adaptor) {
            this.adaptor = adaptor;
            return this;
        }

        /**
         * Sets the prompt template.
         *
         * @param promptWrapper the template
         * @return this builder
         */
        public Builder promptWrapper(PromptWrapper promptWrapper) {
            this.promptWrapper = promptWrapper;
            return this;
        }

        /**
         * Sets the language model.
         *
         * @param languageModel the language model
         * @return this builder
         */
        public Builder languageModel(LanguageModel languageModel) {
            this.languageModel = languageModel;
            return this;
        }

        /**
         * Sets the index for {@link VlModel#search} and {@link VlModel#index}; without one, an in-memory
         * exact index is created on first use.
         *
         * @param imageIndex the index, in the extractor's space; null for the default
         * @return this builder
         */
        public Builder imageIndex(ImageIndex imageIndex) {
            this.imageIndex = imageIndex;
            return this;
        }

        /**
         * Sets the settings used when a call gives none.
         *
         * @param defaultConfig the config
         * @return this builder
         */
        public Builder defaultConfig(GenerationConfig defaultConfig) {
            this.defaultConfig = defaultConfig;
            return this;
        }

        /**
         * Sets whether the model closes the parts and the given index when it is closed.
         *
         * @param ownsParts true to close them
         * @return this builder
         */
        public Builder ownsParts(boolean ownsParts) {
            this.ownsParts = ownsParts;
            return this;
        }

        /**
         * Sets whether the template's {@link PromptWrapper#stopStrings() stop strings} are added to
         * every call's config (the default). Turn it off to generate exactly what the language model
         * alone would, as in parity checks against Hugging Face {@code generate}.
         *
         * @param templateStopStrings true to add them
         * @return this builder
         */
        public Builder templateStopStrings(boolean templateStopStrings) {
            this.templateStopStrings = templateStopStrings;
            return this;
        }

        /**
         * Builds the model.
         *
         * @return the model
         * @throws InvalidArgumentException if a part is missing, the adaptor's output width is not the
         *     language model's hidden size, or the index's space is not the extractor's
         */
        public ComposedVlModel build() {
            notNull(featureExtractor, "featureExtractor");
            notNull(adaptor, "adaptor");
            notNull(promptWrapper, "promptWrapper");
            notNull(languageModel, "languageModel");
            notNull(defaultConfig, "defaultConfig");
            if (adaptor.outputDim() != languageModel.hiddenSize()) {
                throw new InvalidArgumentException(String.format(
                        "adaptor %s produces width %d but language model %s has hidden size %d; compose an"
                                + " adaptor whose output width is the language model's hidden size",
                        adaptor, adaptor.outputDim(), languageModel, languageModel.hiddenSize()));
            }
            if (imageIndex != null) {
                Optional<EmbeddingSpace> space = searchSpace(featureExtractor);
                if (space.isPresent() && !space.get().equals(imageIndex.space())) {
                    throw new InvalidArgumentException(String.format(
                            "the image index is in space %s but the feature extractor embeds in %s; scores"
                                    + " across spaces are meaningless, so use an index built with this"
                                    + " extractor",
                            imageIndex.space(), space.get()));
                }
            }
            return new ComposedVlModel(this);
        }
    }
}
