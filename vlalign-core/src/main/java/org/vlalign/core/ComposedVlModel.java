package org.vlalign.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.vlalign.Adaptor;
import org.vlalign.Answer;
import org.vlalign.AttentionMap;
import org.vlalign.AskRequest;
import org.vlalign.Chat;
import org.vlalign.Checks;
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
import org.vlalign.Role;
import org.vlalign.SearchHit;
import org.vlalign.TokenListener;
import org.vlalign.Turn;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.image.AttentionMaps;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.core.index.SearchRelevance;
import org.vlalign.spi.AttendingFeatureExtractor;
import org.vlalign.spi.PatchAttention;

/**
 * A {@link VlModel} composed of five parts: image → {@link FeatureExtractor} → {@link Adaptor} →
 * {@link PromptWrapper} → {@link LanguageModel}, and for search the extractor's text and image
 * vectors in an {@link ImageIndex}.
 *
 * <p>Loaders build it from the one value every model family's loader returns, {@link VlModelParts}:
 * {@code ComposedVlModel.builder().parts(parts).ownsParts(true).build()}; by hand:
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
 * #askBatch} extracts the images with {@link FeatureExtractor#extractBatch} in slices of at most
 * {@value #MAX_VISION_BATCH} (so a batch of thousands never holds thousands of decoded images and
 * their activations at once) and generates with {@link LanguageModel#generateBatch}, whose rows are
 * bounded by the memory their caches need; each answer reports an equal share of the batch's
 * extraction time.
 *
 * <p>The adapted features of recent images are kept ({@value #FEATURE_CACHE_BYTES} bytes, least recently
 * used dropped first), so a second question about the same image file or bytes does not run the vision
 * tower again; an extractor that takes the question as its instruction computes features per question,
 * and a {@link java.awt.image.BufferedImage} input is never cached. With a language model that keeps a
 * prefix cache (the JVM engine's {@code Llama}), the prompt's positions up to the end of the image are
 * reused too.
 *
 * <p><b>Attention maps.</b> With {@link GenerationConfig#attentionMap()}, {@link #ask} (and {@link #askBatch},
 * request by request) extracts through {@link AttendingFeatureExtractor#extractWithPatchAttention} (not from
 * the cache of recent images), lets the language model report its attention over the image positions, and
 * maps it onto the patches with {@link AttentionMaps#compose}. An extractor that cannot relate its rows to
 * patches, an adaptor that changes the number of rows, or a language model that reports no attention makes
 * the call throw {@link UnsupportedModelException}. Chats support the option too (see {@link ComposedChat}).
 *
 * <p><b>Chats</b> are {@link ComposedChat}s; see there how instruction-aware extractors are handled.
 *
 * <p><b>Search-only models.</b> Built with a feature extractor and no language side (no adaptor,
 * template or language model, as {@link VlModelParts#searchOnly} gives for CLIP or BLIP-2 retrieval
 * checkpoints), the model {@link #canAnswer() cannot answer}: {@link #ask}, {@link #askBatch}, {@link
 * #newChat}, {@link #adaptor()}, {@link #promptWrapper()} and {@link #languageModel()} throw {@link
 * UnsupportedModelException} naming what the checkpoint lacks; search works as for any model.
 *
 * <p><b>Search.</b> {@link #search} embeds the text with {@link FeatureExtractor#embedText} and
 * searches the index; {@link #index} stores {@link FeatureExtractor#embedImage} vectors. Without an
 * index from the builder, an in-memory {@link ExactImageIndex} in the extractor's space is created on
 * first use. Search texts must not be blank and may have at most {@value #MAX_SEARCH_TEXT_CHARS}
 * characters. An extractor that {@link FeatureExtractor#canEmbed() cannot embed} makes {@link
 * #canSearch()} false and {@link #search}, {@link #index} and {@link #imageIndex()} throw {@link
 * UnsupportedModelException}.
 *
 * <p><b>Checks.</b> {@link Builder#build()} refuses a partial language side, an extractor whose
 * {@link FeatureExtractor#featureWidth() feature width} is not the adaptor's input width, an adaptor
 * whose output width is not the language model's hidden size, and an index whose space is not the
 * extractor's (or any index for an extractor that cannot embed), all before an image is read.
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

    /** The bytes of adapted features kept for recent images (a LLaVA-1.5 image's are 9.4 MB). */
    static final long FEATURE_CACHE_BYTES = 64L << 20;
    /** The most images {@link #askBatch} hands the feature extractor at once. */
    public static final int MAX_VISION_BATCH = 16;

    private final String description;
    private final FeatureExtractor featureExtractor;
    private final Adaptor adaptor; // null when search-only, as are the wrapper and the language model
    private final PromptWrapper promptWrapper;
    private final LanguageModel languageModel;
    private final ImageIndex givenIndex;
    private final GenerationConfig defaultConfig;
    private final boolean ownsParts;
    private final boolean templateStopStrings;

    private final Object indexLock = new Object();
    private volatile ImageIndex createdIndex;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Adapted features of recent images: a second question about one image skips the vision tower. */
    private final FeatureCache features = new FeatureCache(FEATURE_CACHE_BYTES);
    /** Judges each search hit against reference texts; embeds them on the first search. */
    private final SearchRelevance relevance;

    private ComposedVlModel(Builder b) {
        this.description = b.description != null ? b.description : String.valueOf(b.featureExtractor);
        this.featureExtractor = b.featureExtractor;
        this.relevance = SearchRelevance.of(b.featureExtractor::embedText);
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
     * A builder with this model's description, parts, given index, default config and ownership flag,
     * for example to attach a persistent index to a loaded model. The new model shares the parts: if both own
     * them, closing either closes them for both (closing is idempotent), so keep using only one.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.description = description;
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

    /**
     * What this model was composed from, e.g. {@code llava [LlavaForConditionalGeneration] at /models/llava};
     * the {@link Builder#description(String) builder's description}, or the extractor's name.
     *
     * @return the description
     * @since 0.2.0
     */
    public String description() {
        return description;
    }

    @Override
    public boolean canAnswer() {
        return languageModel != null; // built with the language side
    }

    @Override
    public boolean canSearch() {
        return featureExtractor.canEmbed();
    }

    @Override
    public Answer ask(ImageInput image, String query) {
        return ask(image, query, defaultConfig);
    }

    @Override
    public Answer ask(ImageInput image, String query, GenerationConfig config, TokenListener listener) {
        checkOpen();
        checkAnswers();
        notNull(image, "image");
        notNull(query, "query");
        notNull(config, "config");
        notNull(listener, "listener");
        if (config.attentionMap()) {
            return askWithAttentionMap(image, query, features -> promptWrapper.wrap(features, query), config, listener);
        }
        long start = System.nanoTime();
        Features embeddings = embed(image, query);
        Duration extract = Duration.ofNanos(System.nanoTime() - start);
        Prompt prompt = promptWrapper.wrap(embeddings, query);
        Answer answer = languageModel.generate(prompt, withTemplateStops(config), listener);
        return answer.withTimings(answer.timings().withVision(Duration.ZERO, extract));
    }

    /**
     * Answers a conversation's last question as {@link VlModel#ask(ImageInput, List, GenerationConfig,
     * TokenListener)} says, with the template's stop strings only when the builder kept them; the answer's
     * {@code extract} timing covers the image's encoding.
     */
    @Override
    public Answer ask(ImageInput image, List<Turn> conversation, GenerationConfig config, TokenListener listener) {
        checkOpen();
        checkAnswers();
        notNull(image, "image");
        notNull(conversation, "conversation");
        notNull(config, "config");
        notNull(listener, "listener");
        Turn first = conversation.stream().filter(t -> t.role() == Role.USER).findFirst().orElse(null);
        if (first == null || conversation.get(conversation.size() - 1).role() != Role.USER) {
            throw new InvalidArgumentException("the conversation must end with a user turn but was " + conversation);
        }
        if (config.attentionMap()) {
            return askWithAttentionMap(image, first.text(), features -> promptWrapper.wrap(features, conversation),
                    config, listener);
        }
        long start = System.nanoTime();
        Features embeddings = embed(image, first.text());
        Duration extract = Duration.ofNanos(System.nanoTime() - start);
        Prompt prompt = promptWrapper.wrap(embeddings, conversation);
        Answer answer = languageModel.generate(prompt, withTemplateStops(config), listener);
        return answer.withTimings(answer.timings().withVision(Duration.ZERO, extract));
    }

    @Override
    public List<Answer> askBatch(List<AskRequest> requests, GenerationConfig config) {
        checkOpen();
        checkAnswers();
        notNull(requests, "requests");
        notNull(config, "config");
        if (requests.isEmpty()) {
            return List.of();
        }
        if (config.attentionMap()) { // each map is recorded for one sequence: one request after another
            List<Answer> out = new ArrayList<>(requests.size());
            for (AskRequest r : requests) {
                notNull(r, "request");
                out.add(ask(r.image(), r.query(), config, text -> {}));
            }
            return List.copyOf(out);
        }
        List<ImageInput> images = new ArrayList<>(requests.size());
        List<String> instructions = new ArrayList<>(requests.size());
        for (AskRequest r : requests) {
            notNull(r, "request");
            images.add(r.image());
            instructions.add(instructionFor(r.query()));
        }
        long start = System.nanoTime();
        List<Features> features = new ArrayList<>(requests.size());
        for (int from = 0; from < images.size(); from += MAX_VISION_BATCH) {
            int to = Math.min(images.size(), from + MAX_VISION_BATCH);
            List<Features> slice =
                    featureExtractor.extractBatch(images.subList(from, to), instructions.subList(from, to));
            if (slice.size() != to - from) {
                throw new VlalignException(String.format(
                        "feature extractor %s returned %d results for a batch of %d images; it must return"
                                + " one per image",
                        featureExtractor, slice.size(), to - from));
            }
            features.addAll(slice);
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
        checkAnswers();
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
        return relevance.judge(index.search(featureExtractor.embedText(text), k), index);
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
                    if (!featureExtractor.canEmbed()) {
                        throw new UnsupportedModelException(
                                "This model (" + description + ") cannot search: its feature extractor "
                                        + featureExtractor + " has no search projections. Use a checkpoint"
                                        + " with them (BLIP-2 retrieval, CLIP) for search and indexing.");
                    }
                    index = ExactImageIndex.inMemory(featureExtractor.embeddingSpace());
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
        return languageSide(adaptor);
    }

    @Override
    public PromptWrapper promptWrapper() {
        return languageSide(promptWrapper);
    }

    @Override
    public LanguageModel languageModel() {
        return languageSide(languageModel);
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
            if (languageModel != null) {
                toClose.add(languageModel);
                toClose.add(adaptor);
            }
            toClose.add(featureExtractor);
        }
        Closeables.closeAll(toClose);
    }

    @Override
    public String toString() {
        return "ComposedVlModel[" + description + ": " + featureExtractor
                + (languageModel == null
                        ? ", search only"
                        : " -> " + adaptor + " -> " + promptWrapper.name() + " -> " + languageModel)
                + "]";
    }

    /**
     * Asks with an attention map: the extractor relates its feature rows to the patches, the language model
     * reports its attention over the rows, {@link AttentionMaps#compose} maps it onto the patches. The cache of
     * recent images' features is bypassed (the relation to the patches is not kept).
     */
    private Answer askWithAttentionMap(ImageInput image, String query, Function<Features, Prompt> wrap,
            GenerationConfig config, TokenListener listener) {
        long start = System.nanoTime();
        PatchAttention patches = patchAttention(image, query);
        Features embeddings = adaptRows(patches);
        Duration extract = Duration.ofNanos(System.nanoTime() - start);
        Answer answer = languageModel.generate(wrap.apply(embeddings), withTemplateStops(config), listener);
        return withPatchMap(answer, patches).withTimings(answer.timings().withVision(Duration.ZERO, extract));
    }

    // ---- shared with ComposedChat ----

    /**
     * The image's features and their relation to the patches, the query serving as instruction if used.
     *
     * @throws UnsupportedModelException if the extractor cannot relate its features to patches
     */
    PatchAttention patchAttention(ImageInput image, String query) {
        if (!(featureExtractor instanceof AttendingFeatureExtractor attending)) {
            throw new UnsupportedModelException("This model (" + description + ") cannot produce an attention map:"
                    + " its feature extractor " + featureExtractor + " cannot relate its features to the image's"
                    + " patches. Attention maps need a BLIP-2 / InstructBLIP Q-Former, the vlalign composition or a"
                    + " LLaVA vision tower; turn attentionMap off for this model.");
        }
        return attending.extractWithPatchAttention(image, instructionFor(query));
    }

    /**
     * The adapted embeddings of the patch attention's features, checked to keep one row per feature row.
     *
     * @throws UnsupportedModelException if the adaptor changes the number of rows
     */
    Features adaptRows(PatchAttention patches) {
        Features embeddings = adapt(patches.features());
        if (embeddings.rows() != patches.features().rows()) {
            throw new UnsupportedModelException("This model (" + description + ") cannot produce an attention map:"
                    + " its adaptor " + adaptor + " turns " + patches.features().rows() + " feature rows into "
                    + embeddings.rows() + ", so the language model's image positions are not the extractor's rows");
        }
        return embeddings;
    }

    /**
     * The answer with the language model's map over the image rows replaced by the map over the patches.
     *
     * @throws UnsupportedModelException if the language model reported no attention
     */
    Answer withPatchMap(Answer answer, PatchAttention patches) {
        AttentionMap positions = answer.attentionMap().orElseThrow(() -> new UnsupportedModelException(
                "This model (" + description + ") cannot produce an attention map: its language model "
                        + languageModel + " does not report attention. Attention maps need the JVM engine's"
                        + " Llama; turn attentionMap off for this model."));
        return answer.withAttentionMap(AttentionMaps.compose(patches, positions));
    }

    /** The instruction given to the extractor for a query. */
    String instructionFor(String query) {
        return featureExtractor.acceptsInstruction() ? query : "";
    }

    /** Extracts and adapts the features of an image, the query serving as instruction if used. */
    Features embed(ImageInput image, String query) {
        String instruction = instructionFor(query);
        return features.get(image, instruction, () -> adapt(featureExtractor.extract(image, instruction)));
    }

    /**
     * Images whose features {@link #ask} and chats took from the cache of recent images instead of
     * extracting them again (for tests and diagnostics).
     *
     * @return hits so far
     */
    long featureCacheHits() {
        return features.hits();
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

    /** A part of the language side, after checking that there is one. */
    private <T> T languageSide(T part) {
        checkAnswers();
        return part;
    }

    private void checkAnswers() {
        if (languageModel == null) {
            throw new UnsupportedModelException("This model (" + description + ") "
                    + (featureExtractor.canEmbed() ? "embeds images and texts for search but " : "")
                    + "has no language model, so it cannot answer questions. Load a checkpoint with one"
                    + " (InstructBLIP, LLaVA-1.5, BLIP-2 with a Llama language model), or compose this"
                    + " extractor with an adaptor and a language model, to ask.");
        }
    }

    private Features adapt(Features features) {
        // build() checked featureWidth() against the adaptor; this catches an extractor that breaks it
        if (features.shape().length != 2 || features.cols() != adaptor.inputDim()) {
            throw new VlalignException(String.format(
                    "The feature extractor %s declares feature width %d but produced features of shape %s;"
                            + " it breaks the FeatureExtractor contract (every extract returns (tokens,"
                            + " featureWidth())).",
                    featureExtractor, featureExtractor.featureWidth(), Arrays.toString(features.shape())));
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

    private static <T> T notNull(T value, String name) {
        return Checks.checkNotNull(value, name);
    }

    /**
     * Builds a {@link ComposedVlModel}. Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private String description;
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
         * Sets every part from what a loader read: the description, the feature extractor and the
         * language side (adaptor, template, language model), or no language side for a search-only
         * model.
         *
         * @param parts the parts
         * @return this builder
         * @throws InvalidArgumentException if the parts are null
         * @since 0.2.0
         */
        public Builder parts(VlModelParts parts) {
            notNull(parts, "parts");
            this.description = parts.description();
            this.featureExtractor = parts.featureExtractor();
            this.adaptor = parts.adaptor().orElse(null);
            this.promptWrapper = parts.promptWrapper().orElse(null);
            this.languageModel = parts.languageModel().orElse(null);
            return this;
        }

        /**
         * Sets what the model was composed from, for {@link ComposedVlModel#description()}, messages
         * and {@code toString}.
         *
         * @param description e.g. {@code llava [LlavaForConditionalGeneration] at /models/llava}; null
         *     for the extractor's name
         * @return this builder
         * @since 0.2.0
         */
        public Builder description(String description) {
            this.description = description;
            return this;
        }

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
         * Sets the adaptor; leave it, the template and the language model unset for a search-only model.
         *
         * @param adaptor the adaptor; its input width must be the extractor's feature width and its output
         *     width the language model's hidden size
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
         * Builds the model: with the language side (adaptor, template, language model) a model that
         * answers and, if the extractor can embed, searches; without it a search-only model.
         *
         * @return the model
         * @throws InvalidArgumentException if the extractor is missing, the language side is partly set,
         *     the extractor's feature width is not the adaptor's input width, the adaptor's output width
         *     is not the language model's hidden size, or an index is given whose space is not the
         *     extractor's (or for an extractor that cannot embed)
         */
        public ComposedVlModel build() {
            notNull(featureExtractor, "featureExtractor");
            notNull(defaultConfig, "defaultConfig");
            if (adaptor != null || promptWrapper != null || languageModel != null) {
                notNull(adaptor, "adaptor");
                notNull(promptWrapper, "promptWrapper");
                notNull(languageModel, "languageModel");
                checkWidths(featureExtractor, adaptor, languageModel);
            }
            if (imageIndex != null) {
                Checks.checkArgument(featureExtractor.canEmbed(),
                        "an image index was given, but the feature extractor %s cannot embed for search;"
                                + " compose an extractor with search projections (BLIP-2 retrieval, CLIP)"
                                + " or leave the index out", featureExtractor);
                EmbeddingSpace space = featureExtractor.embeddingSpace();
                Checks.checkArgument(space.equals(imageIndex.space()),
                        "the image index is in space %s but the feature extractor embeds in %s; scores"
                                + " across spaces are meaningless, so use an index built with this"
                                + " extractor", imageIndex.space(), space);
            }
            return new ComposedVlModel(this);
        }

        private static void checkWidths(FeatureExtractor extractor, Adaptor adaptor, LanguageModel lm) {
            Checks.checkArgument(extractor.featureWidth() == adaptor.inputDim(),
                    "the feature extractor %s produces features of width %s but the adaptor %s expects"
                            + " width %s; compose an adaptor whose input width is the extractor's feature"
                            + " width (one trained for this extractor)",
                    extractor, extractor.featureWidth(), adaptor, adaptor.inputDim());
            Checks.checkArgument(adaptor.outputDim() == lm.hiddenSize(),
                    "the adaptor %s produces width %s but the language model %s has hidden size %s;"
                            + " compose an adaptor whose output width is the language model's hidden size"
                            + " (one trained for this language model)",
                    adaptor, adaptor.outputDim(), lm, lm.hiddenSize());
        }
    }
}
