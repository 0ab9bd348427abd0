package org.vlalign.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;

/**
 * A LangChain4j {@link EmbeddingModel} that embeds text in a vlalign model's search space: the vector {@link
 * FeatureExtractor#embedText} gives (L2-normalised), which scores against the images of an {@link
 * org.vlalign.ImageIndex} built with the same model. Use it with {@link VlalignImageStore} to find images by
 * text, for instance through LangChain4j's {@code EmbeddingStoreContentRetriever}.
 *
 * <pre>{@code
 * EmbeddingModel embeddings = VlalignEmbeddingModel.of(vl);
 * Embedding query = embeddings.embed("a red circle").content();
 * }</pre>
 *
 * <p>It embeds text only: a vlalign search space is shared by images and texts, but LangChain4j's interface
 * takes text segments; images go into the index through {@link VlalignImageStore#addImage}. Thread-safe. It
 * does not own the {@code VlModel}.
 *
 * @since 0.2.0
 */
public final class VlalignEmbeddingModel implements EmbeddingModel {
    private final FeatureExtractor extractor;
    private final EmbeddingSpace space;

    private VlalignEmbeddingModel(VlModel model) {
        if (model == null) {
            throw new InvalidArgumentException("model must not be null; give the VlModel that searches");
        }
        if (!model.canSearch()) {
            throw new UnsupportedModelException("The model " + model + " has no search space (it cannot embed"
                    + " texts); load a checkpoint that searches (VlModel.canSearch()): BLIP-2 retrieval, CLIP or"
                    + " the default model.");
        }
        this.extractor = model.featureExtractor();
        this.space = extractor.embeddingSpace();
    }

    /**
     * The embedding model of a vlalign model's search space.
     *
     * @param model a model that {@link VlModel#canSearch() can search}
     * @return the embedding model
     * @throws UnsupportedModelException if the model cannot search
     */
    public static VlalignEmbeddingModel of(VlModel model) {
        return new VlalignEmbeddingModel(model);
    }

    /**
     * The space the vectors live in; {@link VlalignImageStore} refuses vectors of another.
     *
     * @return the space
     */
    public EmbeddingSpace space() {
        return space;
    }

    @Override
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        if (segments == null) {
            throw new InvalidArgumentException("segments must not be null");
        }
        List<Embedding> out = new ArrayList<>(segments.size());
        for (TextSegment segment : segments) {
            out.add(Embedding.from(extractor.embedText(segment.text()).row(0)));
        }
        return Response.from(out);
    }

    @Override
    public int dimension() {
        return space.dimension();
    }

    @Override
    public String modelName() {
        return space.family();
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    @Override
    public String toString() {
        return "VlalignEmbeddingModel[" + space.family() + ", " + space.dimension() + "]";
    }
}
