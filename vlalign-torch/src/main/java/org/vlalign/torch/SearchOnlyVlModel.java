package org.vlalign.torch;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.vlalign.Adaptor;
import org.vlalign.Answer;
import org.vlalign.AskRequest;
import org.vlalign.Chat;
import org.vlalign.FeatureExtractor;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageIndex;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.PromptWrapper;
import org.vlalign.SearchHit;
import org.vlalign.TokenListener;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.core.ComposedVlModel;
import org.vlalign.core.index.ExactImageIndex;

/**
 * A {@link VlModel} for checkpoints without a language model the SDK runs ({@code
 * Blip2ForImageTextRetrieval}, {@code CLIPModel}, {@code Blip2Model}): {@link #featureExtractor()} works,
 * {@link #index} and {@link #search} work when the extractor has search projections, and {@link #ask} and
 * the language-side accessors throw {@link UnsupportedModelException} naming what to load instead.
 *
 * <p>Thread-safe: the extractor and the in-memory {@link ExactImageIndex} (created on first use) are. It
 * owns both and closes them in {@link #close()}, which is idempotent.
 *
 * @since 0.1.0
 */
public final class SearchOnlyVlModel implements VlModel {
    private final String description;
    private final FeatureExtractor extractor;
    private final ImageIndex givenIndex;
    private final Object indexLock = new Object();
    private volatile ImageIndex createdIndex;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * A model over an extractor; an in-memory index is created on first use if the extractor can search.
     *
     * @param description what was loaded, e.g. {@code blip-2 Blip2ForImageTextRetrieval at /models/x}
     * @param extractor the extractor, which this model then owns
     */
    public SearchOnlyVlModel(String description, FeatureExtractor extractor) {
        this.description = description;
        this.extractor = extractor;
        this.givenIndex = null;
    }

    /**
     * A search-only model over a given index, which must be in the extractor's space.
     *
     * @param description what was loaded
     * @param extractor the extractor, which this model then owns
     * @param index the index, which this model then owns
     * @throws InvalidArgumentException if the index's space is not the extractor's
     */
    public SearchOnlyVlModel(String description, FeatureExtractor extractor, ImageIndex index) {
        if (!index.space().equals(extractor.embeddingSpace())) {
            throw new InvalidArgumentException(
                    "the image index is in space " + index.space() + " but the extractor embeds in "
                            + extractor.embeddingSpace() + "; use an index built with this extractor");
        }
        this.description = description;
        this.extractor = extractor;
        this.givenIndex = index;
    }

    private UnsupportedModelException noLanguageModel() {
        return new UnsupportedModelException(
                "This model (" + description + ") embeds images and texts for search but has no language"
                        + " model, so it cannot answer questions. Load an InstructBLIP or LLaVA checkpoint,"
                        + " or compose one with TorchModels.builder(), to ask.");
    }

    @Override
    public Answer ask(ImageInput image, String query, GenerationConfig config, TokenListener listener) {
        throw noLanguageModel();
    }

    @Override
    public List<Answer> askBatch(List<AskRequest> requests, GenerationConfig config) {
        throw noLanguageModel();
    }

    @Override
    public Chat newChat(ImageInput image, String systemPrompt) {
        throw noLanguageModel();
    }

    @Override
    public void index(String id, ImageInput image, Map<String, String> metadata) {
        checkOpen();
        if (id == null || image == null || metadata == null) {
            throw new InvalidArgumentException("id, image and metadata must not be null");
        }
        imageIndex().upsert(id, extractor.embedImage(image), metadata);
    }

    @Override
    public List<SearchHit> search(String text, int k) {
        checkOpen();
        if (text == null || text.isBlank()) {
            throw new InvalidArgumentException("the search text must not be empty");
        }
        if (text.length() > ComposedVlModel.MAX_SEARCH_TEXT_CHARS) {
            throw new InvalidArgumentException(
                    "the search text has " + text.length() + " characters; at most "
                            + ComposedVlModel.MAX_SEARCH_TEXT_CHARS + " are accepted");
        }
        if (k < 1) {
            throw new InvalidArgumentException("k must be at least 1 but was " + k);
        }
        return imageIndex().search(extractor.embedText(text), k);
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
                    // throws UnsupportedModelException when the extractor has no search projections
                    index = ExactImageIndex.inMemory(extractor.embeddingSpace());
                    createdIndex = index;
                }
            }
        }
        return index;
    }

    @Override
    public FeatureExtractor featureExtractor() {
        return extractor;
    }

    @Override
    public Adaptor adaptor() {
        throw noLanguageModel();
    }

    @Override
    public PromptWrapper promptWrapper() {
        throw noLanguageModel();
    }

    @Override
    public LanguageModel languageModel() {
        throw noLanguageModel();
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this model is closed");
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                ImageIndex index = givenIndex != null ? givenIndex : createdIndex;
                if (index != null) {
                    index.close();
                }
            } finally {
                extractor.close();
            }
        }
    }

    @Override
    public String toString() {
        return "SearchOnlyVlModel[" + description + ", " + extractor + "]";
    }
}
