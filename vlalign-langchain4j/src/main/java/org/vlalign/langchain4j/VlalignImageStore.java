package org.vlalign.langchain4j;

import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingSearchResult;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.filter.Filter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;

/**
 * LangChain4j's embedding store over a vlalign {@link ImageIndex}: images go in with {@link #addImage} (all of
 * their search vectors, e.g. BLIP-2's one per query token), and a text embedding from {@link
 * VlalignEmbeddingModel} finds them, each scored as its best vector, exactly as {@link VlModel#search} ranks.
 *
 * <p>Each stored entry is described by a {@link TextSegment}: its text is the entry's {@code text} metadata
 * (set when a segment is added with {@link #add(Embedding, TextSegment)}), else its {@code caption}, else its
 * {@code source} (the image file), else its id; its metadata is the index's metadata plus {@code id}. So the
 * store plugs into LangChain4j's {@code EmbeddingStoreContentRetriever}: a question retrieves the images
 * that match it. Vectors added through LangChain4j's {@code add} methods are L2-normalised and stored as
 * one-vector entries. Index metadata are strings, so a {@link Filter} compares strings; filtered searches
 * scan the whole index, then filter. {@link EmbeddingMatch#embedding()} is null: the index does not return
 * stored vectors. Writes become durable at {@link #commit()}.
 *
 * <pre>{@code
 * VlalignImageStore store = VlalignImageStore.of(vl);            // vl.imageIndex(), vl's extractor
 * store.addImage("beach-01", ImageInput.of(Path.of("beach-01.jpg")), Map.of("source", "beach-01.jpg"));
 * Embedding q = VlalignEmbeddingModel.of(vl).embed("a dog on a beach").content();
 * List<EmbeddingMatch<TextSegment>> hits = store.search(
 *         EmbeddingSearchRequest.builder().queryEmbedding(q).maxResults(5).build()).matches();
 * }</pre>
 *
 * <p>Thread-safe, as the index is. It does not own the model or the index.
 *
 * @since 0.2.0
 */
public final class VlalignImageStore implements EmbeddingStore<TextSegment> {
    /** The metadata key that holds an entry's id in the segments this store returns. */
    public static final String ID = "id";
    /** The metadata key under which the text of an added {@link TextSegment} is kept. */
    public static final String TEXT = "text";

    private final VlModel model;
    private final ImageIndex index;

    private VlalignImageStore(VlModel model, ImageIndex index) {
        this.model = model;
        this.index = index;
    }

    /**
     * The store over a model's own index ({@link VlModel#imageIndex()}), embedding images with its extractor.
     *
     * @param model a model that {@link VlModel#canSearch() can search}
     * @return the store
     * @throws org.vlalign.UnsupportedModelException if the model cannot search
     */
    public static VlalignImageStore of(VlModel model) {
        if (model == null) {
            throw new InvalidArgumentException("model must not be null");
        }
        return new VlalignImageStore(model, model.imageIndex());
    }

    /**
     * A store over any index; {@link #addImage} then needs {@code model}, whose search space must be the
     * index's.
     *
     * @param model the model that embeds added images, or null for a store of precomputed vectors only
     * @param index the index
     * @return the store
     * @throws InvalidArgumentException if the model's search space is not the index's
     */
    public static VlalignImageStore of(VlModel model, ImageIndex index) {
        if (index == null) {
            throw new InvalidArgumentException("index must not be null");
        }
        if (model != null && !model.featureExtractor().embeddingSpace().equals(index.space())) {
            throw new InvalidArgumentException("The model's search space " + model.featureExtractor().embeddingSpace()
                    + " is not the index's " + index.space() + "; use the model the index was built with.");
        }
        return new VlalignImageStore(model, index);
    }

    /**
     * The index behind this store.
     *
     * @return the index
     */
    public ImageIndex index() {
        return index;
    }

    /**
     * Embeds an image with the model and adds it (or replaces the entry with that id).
     *
     * @param id the id, not blank
     * @param image the image
     * @param metadata metadata such as {@code source} or {@code caption}
     * @throws InvalidArgumentException if the store has no model, or an argument is missing
     * @throws org.vlalign.ImageDecodingException if the image cannot be decoded
     */
    public void addImage(String id, ImageInput image, Map<String, String> metadata) {
        if (model == null) {
            throw new InvalidArgumentException("This store was created without a model, so it cannot embed"
                    + " images; create it with VlalignImageStore.of(model, index).");
        }
        if (image == null || metadata == null) {
            throw new InvalidArgumentException("image and metadata must not be null");
        }
        index.upsert(checkId(id), model.featureExtractor().embedImage(image), metadata);
    }

    @Override
    public String add(Embedding embedding) {
        String id = UUID.randomUUID().toString();
        add(id, embedding);
        return id;
    }

    @Override
    public void add(String id, Embedding embedding) {
        index.upsert(checkId(id), vector(embedding), Map.of());
    }

    @Override
    public String add(Embedding embedding, TextSegment segment) {
        String id = UUID.randomUUID().toString();
        index.upsert(id, vector(embedding), metadata(segment));
        return id;
    }

    @Override
    public List<String> addAll(List<Embedding> embeddings) {
        List<String> ids = generateIds(embeddings.size());
        for (int i = 0; i < ids.size(); i++) {
            add(ids.get(i), embeddings.get(i));
        }
        return ids;
    }

    @Override
    public void addAll(List<String> ids, List<Embedding> embeddings, List<TextSegment> segments) {
        if (ids == null || embeddings == null || ids.size() != embeddings.size()
                || (segments != null && segments.size() != ids.size())) {
            throw new InvalidArgumentException("ids, embeddings and segments must be lists of one size (ids "
                    + (ids == null ? "null" : ids.size()) + ", embeddings "
                    + (embeddings == null ? "null" : embeddings.size()) + ", segments "
                    + (segments == null ? "null" : segments.size()) + ")");
        }
        for (int i = 0; i < ids.size(); i++) {
            index.upsert(checkId(ids.get(i)), vector(embeddings.get(i)),
                    segments == null ? Map.of() : metadata(segments.get(i)));
        }
    }

    @Override
    public void remove(String id) {
        index.remove(checkId(id));
    }

    @Override
    public void removeAll(Collection<String> ids) {
        if (ids == null || ids.isEmpty()) {
            throw new InvalidArgumentException("ids must not be null or empty");
        }
        for (String id : ids) {
            index.remove(checkId(id));
        }
    }

    @Override
    public EmbeddingSearchResult<TextSegment> search(EmbeddingSearchRequest request) {
        if (request == null) {
            throw new InvalidArgumentException("request must not be null");
        }
        Filter filter = request.filter();
        int k = filter == null ? request.maxResults() : Math.max(1, index.size());
        List<EmbeddingMatch<TextSegment>> matches = new ArrayList<>();
        for (SearchHit hit : index.search(vector(request.queryEmbedding()), k)) {
            if (hit.score() < request.minScore()) {
                break; // best first: the rest score lower
            }
            TextSegment segment = segment(hit.id(), hit.metadata());
            if (filter != null && !filter.test(segment.metadata())) {
                continue;
            }
            matches.add(new EmbeddingMatch<>((double) hit.score(), hit.id(), null, segment));
            if (matches.size() == request.maxResults()) {
                break;
            }
        }
        return new EmbeddingSearchResult<>(matches);
    }

    /** Makes the writes so far durable (a persistent index); see {@link ImageIndex#commit()}. */
    public void commit() {
        index.commit();
    }

    private Features vector(Embedding embedding) {
        if (embedding == null) {
            throw new InvalidArgumentException("embedding must not be null");
        }
        float[] v = embedding.vector();
        if (v.length != index.space().dimension()) {
            throw new InvalidArgumentException("The embedding has " + v.length + " dimensions but this store's"
                    + " space (" + index.space().family() + ") has " + index.space().dimension()
                    + "; embed with VlalignEmbeddingModel of the same model.");
        }
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        if (!(norm > 0) || !Double.isFinite(norm)) {
            throw new InvalidArgumentException("The embedding is zero or not finite; it cannot be normalised.");
        }
        float[] unit = new float[v.length];
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < v.length; i++) {
            unit[i] = v[i] * scale;
        }
        return Features.ofVector(unit);
    }

    private static Map<String, String> metadata(TextSegment segment) {
        if (segment == null) {
            return Map.of();
        }
        Map<String, String> out = new HashMap<>();
        segment.metadata().toMap().forEach((k, v) -> out.put(k, String.valueOf(v)));
        out.put(TEXT, segment.text());
        return out;
    }

    private static TextSegment segment(String id, Map<String, String> stored) {
        Map<String, Object> metadata = new HashMap<>(stored);
        metadata.put(ID, id);
        String text = firstNonBlank(stored.get(TEXT), stored.get("caption"), stored.get("source"), id);
        return TextSegment.from(text, Metadata.from(metadata));
    }

    private static String firstNonBlank(String... candidates) {
        for (String c : candidates) {
            if (c != null && !c.isBlank()) {
                return c;
            }
        }
        throw new IllegalStateException("an index id is blank");
    }

    private static String checkId(String id) {
        if (id == null || id.isBlank()) {
            throw new InvalidArgumentException("the id must not be blank but was '" + id + "'");
        }
        return id;
    }
}
