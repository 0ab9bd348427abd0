package org.vlalign;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.vlalign.spi.ModelProvider;

/**
 * A vision-language model: answers questions about images and searches images by text.
 *
 * <p>It composes the five parts of the pipeline: image → {@link FeatureExtractor} → {@link Adaptor}
 * → {@link PromptWrapper} → {@link LanguageModel} → {@link Answer}, and for search a text embedding
 * from the same extractor against its {@link ImageIndex}. Not every checkpoint has every part: {@link
 * #canAnswer()} and {@link #canSearch()} say which of the two jobs a loaded model does.
 *
 * <p>A {@code VlModel} is thread-safe: any number of threads may ask and search concurrently, and each
 * gets exactly what a sequential call would. A {@link Chat} it creates is not thread-safe.
 *
 * <pre>{@code
 * try (VlModel model = VlModel.load(Path.of("instructblip-vicuna-7b"))) {
 *     Answer a = model.ask(ImageInput.of(Path.of("cat.jpg")), "What is on the table?");
 *     System.out.println(a.text());
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public interface VlModel extends AutoCloseable {

    /**
     * Loads a checkpoint folder (Hugging Face layout: {@code config.json}, safetensors, tokenizer)
     * with the first {@link ModelProvider} on the class path that supports it.
     *
     * @param checkpoint the folder
     * @return the model, which the caller must close
     * @throws UnsupportedModelException if no provider supports the folder; the message lists the
     *     providers and what each supports
     * @throws CheckpointException if the folder is damaged
     */
    static VlModel load(Path checkpoint) {
        return load(checkpoint, LoadOptions.DEFAULT);
    }

    /**
     * Loads a checkpoint folder with options: the language model's weight format and threads, a LoRA
     * adapter, a weight cache, or a trainable language model.
     *
     * @param checkpoint the folder
     * @param options how to load
     * @return the model, which the caller must close
     * @throws UnsupportedModelException if no provider supports the folder or the options
     * @throws CheckpointException if the folder or the adapter is damaged
     * @throws InvalidArgumentException if the model does not fit in memory in that format; the message names
     *     the setting to change
     * @since 0.2.0
     */
    static VlModel load(Path checkpoint, LoadOptions options) {
        Checks.checkNotNull(checkpoint, "checkpoint");
        Checks.checkNotNull(options, "options");
        List<String> known = new ArrayList<>();
        for (ModelProvider provider : ServiceLoader.load(ModelProvider.class)) {
            if (provider.supports(checkpoint)) {
                return provider.load(checkpoint, options);
            }
            known.add(provider.name() + " " + provider.modelTypes());
        }
        throw new UnsupportedModelException(
                "No model provider supports " + checkpoint + ". Providers on the class path: "
                        + (known.isEmpty() ? "none (add org.vlalign:vlalign-torch)" : known));
    }

    /**
     * Whether this model answers questions: if true, {@link #ask}, {@link #askBatch}, {@link #newChat},
     * {@link #adaptor()}, {@link #promptWrapper()} and {@link #languageModel()} work; if false (a
     * checkpoint without a language model vlalign runs, such as CLIP or BLIP-2 retrieval), they throw
     * {@link UnsupportedModelException} saying what the checkpoint lacks. Ask this instead of catching
     * the exception.
     *
     * @return true by default
     * @since 0.2.0
     */
    default boolean canAnswer() {
        return true;
    }

    /**
     * Whether this model searches: if true, {@link #search}, {@link #index} and {@link #imageIndex()}
     * work; if false, they throw {@link UnsupportedModelException}.
     *
     * @return by default whether the {@link #featureExtractor()} {@link FeatureExtractor#canEmbed() can
     *     embed}
     * @since 0.2.0
     */
    default boolean canSearch() {
        return featureExtractor().canEmbed();
    }

    /**
     * Answers a question about an image with the default settings.
     *
     * @param image the image
     * @param query the question; may be empty (the model then describes the image)
     * @return the answer
     */
    default Answer ask(ImageInput image, String query) {
        return ask(image, query, GenerationConfig.DEFAULT);
    }

    /**
     * Answers a question about an image.
     *
     * @param image the image
     * @param query the question
     * @param config the generation settings
     * @return the answer
     */
    default Answer ask(ImageInput image, String query, GenerationConfig config) {
        return ask(image, query, config, text -> {});
    }

    /**
     * Answers a question about an image, streaming the answer as it is generated.
     *
     * @param image the image
     * @param query the question
     * @param config the generation settings
     * @param listener receives the answer's text in pieces
     * @return the answer
     * @throws ImageDecodingException if the image cannot be decoded
     * @throws InvalidArgumentException if the query is too long for the model's context
     * @throws UnsupportedModelException if the model cannot answer ({@link #canAnswer()} is false)
     */
    Answer ask(ImageInput image, String query, GenerationConfig config, TokenListener listener);

    /**
     * Answers the last question of a conversation about an image, statelessly: the caller keeps the turns
     * (as an HTTP client or a LangChain4j chat memory does) and sends them all each time. The image is
     * encoded with the first user turn as the instruction (for extractors that {@link
     * FeatureExtractor#acceptsInstruction() accept one}), the turns are wrapped by the {@link #promptWrapper()
     * prompt template}, whose stop strings are added to the config's, and the language model answers. A
     * conversation of one user turn gets what {@link #ask(ImageInput, String, GenerationConfig, TokenListener)}
     * gets; longer ones what a {@link Chat} with those turns would answer.
     *
     * @param image the image the conversation is about
     * @param conversation an optional {@link Role#SYSTEM} turn, then user and assistant turns, ending with
     *     a user turn
     * @param config the generation settings
     * @param listener receives the answer's text in pieces
     * @return the answer to the last user turn
     * @throws InvalidArgumentException if the conversation is empty or does not end with a user turn
     * @throws ImageDecodingException if the image cannot be decoded
     * @throws UnsupportedModelException if the model cannot answer ({@link #canAnswer()} is false)
     * @since 0.2.0
     */
    default Answer ask(ImageInput image, List<Turn> conversation, GenerationConfig config, TokenListener listener) {
        Checks.checkNotNull(image, "image");
        Checks.checkNotNull(conversation, "conversation");
        Checks.checkNotNull(config, "config");
        Checks.checkNotNull(listener, "listener");
        Checks.checkArgument(!conversation.isEmpty() && conversation.get(conversation.size() - 1).role() == Role.USER,
                "the conversation must end with a user turn but was %s", conversation);
        String instruction = "";
        if (featureExtractor().acceptsInstruction()) {
            instruction = conversation.stream().filter(t -> t.role() == Role.USER).findFirst().orElseThrow().text();
        }
        Features embeddings = adaptor().adapt(featureExtractor().extract(image, instruction));
        List<String> stops = new ArrayList<>(config.stopStrings());
        for (String s : promptWrapper().stopStrings()) {
            if (!stops.contains(s)) {
                stops.add(s);
            }
        }
        GenerationConfig withStops = config.toBuilder().stopStrings(stops).build();
        return languageModel().generate(promptWrapper().wrap(embeddings, conversation), withStops, listener);
    }

    /**
     * Answers several questions, batching the work where possible.
     *
     * @param requests the questions
     * @param config the generation settings, shared
     * @return one answer per request, in order
     * @throws UnsupportedModelException if the model cannot answer ({@link #canAnswer()} is false)
     */
    List<Answer> askBatch(List<AskRequest> requests, GenerationConfig config);

    /**
     * Starts a conversation about an image; its features are computed now, once.
     *
     * @param image the image
     * @return the chat
     */
    default Chat newChat(ImageInput image) {
        return newChat(image, "");
    }

    /**
     * Starts a conversation about an image with a system prompt.
     *
     * @param image the image
     * @param systemPrompt the system prompt; empty for the template's default
     * @return the chat
     * @throws UnsupportedModelException if the model cannot answer ({@link #canAnswer()} is false)
     */
    Chat newChat(ImageInput image, String systemPrompt);

    /**
     * Adds an image to the index (or replaces the one with that id).
     *
     * @param id the id
     * @param image the image
     * @param metadata metadata to store with it
     * @throws UnsupportedModelException if the model cannot search ({@link #canSearch()} is false)
     */
    void index(String id, ImageInput image, Map<String, String> metadata);

    /**
     * The images that best match a text.
     *
     * @param text the query, not empty
     * @param k how many, at least 1
     * @return up to {@code k} hits, best first, each with its {@linkplain SearchHit#relevance relevance}
     *     when the index keeps vectors; none {@linkplain SearchHit#isGoodMatch a good match} means that
     *     nothing in the index is like the text
     * @throws UnsupportedModelException if this model cannot embed for search ({@link #canSearch()} is
     *     false)
     */
    List<SearchHit> search(String text, int k);

    /**
     * The index that {@link #search} and {@link #index} use.
     *
     * @return the index
     * @throws UnsupportedModelException if the model cannot search ({@link #canSearch()} is false)
     */
    ImageIndex imageIndex();

    /**
     * The feature extractor.
     *
     * @return the extractor
     */
    FeatureExtractor featureExtractor();

    /**
     * The adaptor.
     *
     * @return the adaptor
     * @throws UnsupportedModelException if the model cannot answer ({@link #canAnswer()} is false)
     */
    Adaptor adaptor();

    /**
     * The prompt wrapper.
     *
     * @return the wrapper
     * @throws UnsupportedModelException if the model cannot answer ({@link #canAnswer()} is false)
     */
    PromptWrapper promptWrapper();

    /**
     * The language model.
     *
     * @return the language model
     * @throws UnsupportedModelException if the model cannot answer ({@link #canAnswer()} is false)
     */
    LanguageModel languageModel();

    /** Releases the parts this model owns. Idempotent. */
    @Override
    void close();
}
