package org.vlalign.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.document.Metadata;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.rag.content.Content;
import dev.langchain4j.rag.content.retriever.EmbeddingStoreContentRetriever;
import dev.langchain4j.rag.query.Query;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.filter.MetadataFilterBuilder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;
import org.vlalign.defaultmodel.DefaultModel;

class VlalignImageStoreTest {
    private final VlModel vl = DefaultModelFixture.model();
    private final VlalignEmbeddingModel embeddings = VlalignEmbeddingModel.of(vl);

    @Test
    void should_embed_text_in_the_model_search_space() {
        Embedding e = embeddings.embed("a red circle").content();
        assertArrayEquals(vl.featureExtractor().embedText("a red circle").row(0), e.vector());
        assertEquals(vl.featureExtractor().embeddingSpace().dimension(), embeddings.dimension());
        assertEquals(e.dimension(), embeddings.dimension());
        assertEquals(1.0, norm(e.vector()), 1e-5);
        assertEquals(2, embeddings.embedAll(List.of(TextSegment.from("a"), TextSegment.from("b"))).content().size());
    }

    @Test
    void should_rank_images_exactly_as_vlmodel_search_does() {
        VlalignImageStore store = VlalignImageStore.of(vl);
        List<Path> images = DefaultModel.sampleImages().subList(0, 12);
        for (Path p : images) {
            store.addImage(p.getFileName().toString(), ImageInput.of(p), Map.of("source", p.toString()));
        }
        String query = "a small red diamond and a small green star";
        List<SearchHit> expected = vl.search(query, 5);

        List<EmbeddingMatch<TextSegment>> matches = store.search(EmbeddingSearchRequest.builder()
                .queryEmbedding(embeddings.embed(query).content()).maxResults(5).build()).matches();

        assertEquals(expected.size(), matches.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).id(), matches.get(i).embeddingId());
            assertEquals(expected.get(i).score(), matches.get(i).score(), 1e-6);
            TextSegment s = matches.get(i).embedded();
            assertEquals(expected.get(i).metadata().get("source"), s.text(), "an image is described by its file");
            assertEquals(expected.get(i).id(), s.metadata().getString(VlalignImageStore.ID));
            assertNull(matches.get(i).embedding());
        }

        // min score and a metadata filter
        double cut = matches.get(2).score();
        assertEquals(3, store.search(EmbeddingSearchRequest.builder().queryEmbedding(embeddings.embed(query).content())
                .maxResults(10).minScore(cut).build()).matches().size());
        String only = images.get(7).toString();
        List<EmbeddingMatch<TextSegment>> filtered = store.search(EmbeddingSearchRequest.builder()
                .queryEmbedding(embeddings.embed(query).content()).maxResults(3)
                .filter(MetadataFilterBuilder.metadataKey("source").isEqualTo(only)).build()).matches();
        assertEquals(1, filtered.size());
        assertEquals(only, filtered.get(0).embedded().text());

        // a LangChain4j retriever over the store finds the images
        List<Content> retrieved = EmbeddingStoreContentRetriever.builder()
                .embeddingStore(store).embeddingModel(embeddings).maxResults(2).build()
                .retrieve(Query.from(query));
        assertEquals(expected.get(0).metadata().get("source"), retrieved.get(0).textSegment().text());

        store.remove(expected.get(0).id());
        assertTrue(vl.search(query, 5).stream().noneMatch(h -> h.id().equals(expected.get(0).id())));
    }

    @Test
    void should_store_langchain4j_vectors_with_their_segments_in_a_separate_index() {
        try (VlModel other = DefaultModel.load()) {
            VlalignImageStore store = VlalignImageStore.of(other);
            float[] v = embeddings.embed("a blue square").content().vector();
            float[] doubled = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                doubled[i] = 2 * v[i];
            }
            String id = store.add(Embedding.from(doubled), TextSegment.from("blue square note",
                    Metadata.from("topic", "shapes")));

            EmbeddingMatch<TextSegment> m = store.search(EmbeddingSearchRequest.builder()
                    .queryEmbedding(Embedding.from(v)).maxResults(1).build()).matches().get(0);
            assertEquals(id, m.embeddingId());
            assertEquals(1.0, m.score(), 1e-5, "stored vectors are normalised");
            assertEquals("blue square note", m.embedded().text());
            assertEquals("shapes", m.embedded().metadata().getString("topic"));

            var wrongWidth = assertThrows(InvalidArgumentException.class, () -> store.add(Embedding.from(new float[3])));
            assertTrue(wrongWidth.getMessage().contains("dimensions"), wrongWidth.getMessage());
            assertThrows(InvalidArgumentException.class, () -> store.add(Embedding.from(new float[v.length])));
            store.removeAll(List.of(id));
            assertEquals(0, store.index().size());
        }
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
