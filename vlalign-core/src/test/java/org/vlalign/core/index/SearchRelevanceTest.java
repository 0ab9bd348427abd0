package org.vlalign.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;

class SearchRelevanceTest {

    /** Unit vector along axis {@code a} of a 6-wide space. */
    private static float[] axis(int a) {
        float[] v = new float[6];
        v[a] = 1;
        return v;
    }

    private static Features unit(float... v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] /= (float) Math.sqrt(n);
        }
        return Features.ofVector(out);
    }

    /** Reference texts "r0".."r3" embed along the axes; anything else through {@code other}. */
    private static Function<String, Features> embedder(Function<String, Features> other) {
        return t -> t.matches("r\\d") ? Features.ofVector(axis(t.charAt(1) - '0')) : other.apply(t);
    }

    @Test
    void relevanceIsStandardDeviationsAboveTheReferenceMeanOnTheImage() {
        SearchRelevance judge = SearchRelevance.of(embedder(t -> unit(1, 0, 0, 0, 0, 0)),
                List.of("r0", "r1", "r2", "r3"));
        // an image of two vectors: its max-over-vectors score per axis is (0.8, 0.6, 0.6, 0)
        Features image = Features.of(new float[] {0.8f, 0.6f, 0, 0, 0, 0, 0, 0.6f, 0.8f, 0, 0, 0}, 2, 6);
        double mean = (0.8 + 0.6 + 0.8 + 0) / 4;
        double sd = Math.sqrt((0.64 + 0.36 + 0.64 + 0) / 4 - mean * mean);
        assertEquals((0.95 - mean) / sd, judge.relevance(0.95f, image), 1e-6);
        assertEquals(0, judge.relevance((float) mean, image), 1e-6);
    }

    @Test
    void aBankTheModelMapsToOneVectorDividesByTheFloorNotByZero() {
        // every reference text embeds to the same vector, as a model with a small vocabulary does
        SearchRelevance judge = SearchRelevance.of(t -> Features.ofVector(axis(0)), List.of("a", "b", "c"));
        Features image = Features.ofVector(axis(0));
        assertEquals(0, judge.relevance(1f, image), 1e-9, "a text scoring like the bank is not relevant");
        assertEquals(0.01 / SearchRelevance.MIN_SD, judge.relevance(1.01f, image), 1e-5);
    }

    @Test
    void hitsFromAnIndexGetTheirRelevanceAndTheBankIsEmbeddedOnce() {
        List<String> refs = List.of("r0", "r1", "r2", "r3", "r4", "r5");
        Features text = unit(1, 1, 0, 0, 0, 0);
        SearchRelevance judge = SearchRelevance.of(embedder(t -> text), refs);
        AtomicInteger embedded = new AtomicInteger();
        SearchRelevance counting = SearchRelevance.of(t -> {
            embedded.incrementAndGet();
            return embedder(x -> text).apply(t);
        }, refs);
        try (ExactImageIndex index = ExactImageIndex.inMemory(new EmbeddingSpace("test", "fp", "none", 6))) {
            // the text scores 1 on "pair" and 0.32 on "spread"; the references score 0.71, 0.71, 0, 0, 0, 0
            // on "pair" (relevance 2.29) and 0.45 on every axis but the second on "spread" (relevance -0.34)
            index.upsert("pair", unit(1, 1, 0, 0, 0, 0), Map.of());
            index.upsert("spread", unit(1, 0, 1, 1, 1, 1), Map.of());
            List<SearchHit> hits = index.search(text, 2);
            assertFalse(hits.get(0).hasRelevance(), "a search by vector knows no relevance");
            List<SearchHit> judged = judge.judge(hits, index);
            assertEquals(List.of("pair", "spread"), judged.stream().map(SearchHit::id).toList());
            double mean = 2 / Math.sqrt(2) / 6;
            double sd = Math.sqrt(2 * 0.5 / 6 - mean * mean);
            assertEquals((1 - mean) / sd, judged.get(0).relevance(), 1e-5);
            for (int i = 0; i < judged.size(); i++) {
                SearchHit h = judged.get(i);
                assertEquals(judge.relevance(h.score(), index.vectors(h.id()).orElseThrow()), h.relevance(), 1e-12);
                assertEquals(hits.get(i).score(), h.score());
            }
            assertTrue(judged.get(0).isGoodMatch(), judged.toString());
            assertFalse(judged.get(1).isGoodMatch(), judged.toString());

            for (int i = 0; i < 5; i++) {
                counting.judge(hits, index);
            }
            assertEquals(6, embedded.get(), "each reference text is embedded once");
        }
    }

    @Test
    void theBankIsEmbeddedOnceUnderConcurrentFirstUse() throws Exception {
        AtomicInteger embedded = new AtomicInteger();
        SearchRelevance judge = SearchRelevance.of(t -> {
            embedded.incrementAndGet();
            return Features.ofVector(axis(t.charAt(1) - '0'));
        }, List.of("r0", "r1", "r2", "r3"));
        Features image = Features.ofVector(axis(2));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Double>> all = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                all.add(pool.submit(() -> judge.relevance(1f, image)));
            }
            double first = all.get(0).get();
            for (Future<Double> f : all) {
                assertEquals(first, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(4, embedded.get());
    }

    @Test
    void anIndexThatKeepsNoVectorsLeavesTheRelevanceUnknown() {
        SearchRelevance judge = SearchRelevance.of(embedder(t -> unit(1, 0, 0, 0, 0, 0)), List.of("r0", "r1"));
        try (ExactImageIndex exact = ExactImageIndex.inMemory(new EmbeddingSpace("test", "fp", "none", 6))) {
            exact.upsert("a", unit(1, 0, 0, 0, 0, 0), Map.of());
            List<SearchHit> hits = exact.search(unit(1, 0, 0, 0, 0, 0), 1);
            // a view that forwards everything but the vectors, as an index without stored vectors
            ImageIndex noVectors = (ImageIndex) Proxy.newProxyInstance(ImageIndex.class.getClassLoader(),
                    new Class<?>[] {ImageIndex.class},
                    (proxy, method, args) -> method.getName().equals("vectors") ? Optional.empty()
                            : method.invoke(exact, args));
            List<SearchHit> judged = judge.judge(hits, noVectors);
            assertFalse(judged.get(0).hasRelevance());
            assertFalse(judged.get(0).isGoodMatch());
        }
    }

    @Test
    void referenceTextsTheModelRefusesAreLeftOut() {
        // a model with a short context refuses r2 and r3, as a small CLIP refuses long texts
        Function<String, Features> shortContext = t -> {
            if (t.equals("r2") || t.equals("r3")) {
                throw new InvalidArgumentException("'" + t + "' is longer than the text encoder accepts");
            }
            return Features.ofVector(axis(t.charAt(1) - '0'));
        };
        Features image = Features.of(new float[] {0.8f, 0.6f, 0, 0, 0, 0}, 1, 6);
        double kept = SearchRelevance.of(shortContext, List.of("r0", "r1", "r2", "r3")).relevance(0.9f, image);
        double twoOnly = SearchRelevance.of(t -> Features.ofVector(axis(t.charAt(1) - '0')), List.of("r0", "r1"))
                .relevance(0.9f, image);
        assertEquals(twoOnly, kept, 1e-12, "the relevance over the texts the model accepts");
        assertTrue(Double.isNaN(SearchRelevance.of(shortContext, List.of("r0", "r2", "r3")).relevance(0.9f, image)),
                "one reference text left is no baseline");
    }

    @Test
    void theBundledBankLoadsAndMismatchedWidthsAreNamed() {
        List<String> texts = SearchRelevance.bundledTexts();
        assertEquals(48, texts.size(), texts.toString());
        assertTrue(texts.stream().noneMatch(t -> t.startsWith("#") || t.isBlank()));
        SearchRelevance judge = SearchRelevance.of(t -> Features.ofVector(axis(0)));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> judge.relevance(1f, Features.ofVector(new float[] {1, 0})));
        assertTrue(e.getMessage().contains("2 wide"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> SearchRelevance.of(t -> null, List.of("only one")));
    }
}
