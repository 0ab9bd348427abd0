package org.vlalign.core.contract;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;

/**
 * The contract every {@link ImageIndex} meets. Extend it and implement {@link
 * #newIndex(EmbeddingSpace)}.
 *
 * <p>Every test opens fresh indexes through {@link #newIndex(EmbeddingSpace)} (for a persistent
 * index: in a new temporary folder) and the suite closes them afterwards. Expected rankings are
 * computed here, independently: an image's score is the maximum over its rows of the dot product
 * with the query, in double precision; ties are broken by id. An approximate index overrides
 * {@link #isExact()}: its results must still be correctly scored and ordered, but may miss images.
 * All random data is seeded and the seed is in the failure messages.
 *
 * <p>Instances are used by one JUnit thread; the index under test is exercised from several threads.
 *
 * @since 0.1.0
 */
public abstract class AbstractImageIndexContractTest {
    /** The space of the checks: dimension 8. */
    protected static final EmbeddingSpace SPACE = new EmbeddingSpace("contract-test", "f00d", "none", 8);

    private static final long SEED = 4242L;
    private static final double SCORE_TOLERANCE = 1e-5;

    private final List<ImageIndex> opened = new ArrayList<>();

    /** The test's temporary folder, holding the folders of {@link #newFolder(String)}. */
    @TempDir Path folders;

    private final AtomicInteger folderCount = new AtomicInteger();

    /**
     * Creates an empty index in the given space.
     *
     * @param space the space
     * @return a new, empty index; the suite closes it
     */
    protected abstract ImageIndex newIndex(EmbeddingSpace space);

    /**
     * A new folder for a persistent index, in a temporary folder deleted after the test: what a
     * folder-based {@link #newIndex(EmbeddingSpace)} opens its index in.
     *
     * @param prefix the start of the folder's name, e.g. the index kind
     * @return a folder path no other index of this test uses
     * @since 0.3.0
     */
    protected final Path newFolder(String prefix) {
        return folders.resolve(prefix + "-" + folderCount.incrementAndGet());
    }

    /**
     * Whether {@link ImageIndex#search} returns the exact top k.
     *
     * @return true by default
     */
    protected boolean isExact() {
        return true;
    }

    /**
     * Opens an index that the suite closes after the test.
     *
     * @return the index
     */
    protected final ImageIndex open() {
        ImageIndex index = newIndex(SPACE);
        opened.add(index);
        return index;
    }

    @AfterEach
    final void closeIndexes() {
        for (ImageIndex index : opened) {
            index.close();
        }
        opened.clear();
    }

    /**
     * Seeded random L2-normalised rows.
     *
     * @param rows the rows
     * @param dim the width
     * @param random the source
     * @return the rows
     */
    protected static Features randomUnitRows(int rows, int dim, SplittableRandom random) {
        float[] data = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            double norm = 0;
            for (int c = 0; c < dim; c++) {
                double v = random.nextDouble() * 2 - 1;
                data[r * dim + c] = (float) v;
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            for (int c = 0; c < dim; c++) {
                data[r * dim + c] = (float) (data[r * dim + c] / norm);
            }
        }
        return Features.of(data, rows, dim);
    }

    private static Features unit(int dim, int axis) {
        float[] v = new float[dim];
        v[axis] = 1f;
        return Features.ofVector(v);
    }

    /**
     * The score this suite expects: the maximum over the image's rows of the dot product.
     *
     * @param image the image's rows
     * @param query the query row
     * @return the score
     */
    protected static double expectedScore(Features image, Features query) {
        double best = Double.NEGATIVE_INFINITY;
        float[] q = query.row(0);
        for (int r = 0; r < image.rows(); r++) {
            best = Math.max(best, ContractSupport.dot(image.row(r), q));
        }
        return best;
    }

    @Test
    void should_report_its_space_and_start_empty() {
        ImageIndex index = open();
        assertEquals(SPACE, index.space());
        assertEquals(0, index.size());
        assertTrue(index.search(unit(8, 0), 5).isEmpty(), "search on an empty index");
    }

    @Test
    void should_count_store_and_return_metadata() {
        ImageIndex index = open();
        index.upsert("cat", unit(8, 0), Map.of("source", "cat.jpg"));
        index.upsert("dog", unit(8, 1), Map.of());
        assertEquals(2, index.size());
        assertEquals(Optional.of(Map.of("source", "cat.jpg")), index.metadata("cat"));
        assertEquals(Optional.of(Map.of()), index.metadata("dog"));
        assertEquals(Optional.empty(), index.metadata("bird"));
    }

    @Test
    void should_copy_the_metadata() {
        ImageIndex index = open();
        Map<String, String> metadata = new HashMap<>(Map.of("source", "a.png"));
        index.upsert("a", unit(8, 0), metadata);
        metadata.put("source", "changed");
        assertEquals(Optional.of(Map.of("source", "a.png")), index.metadata("a"));
    }

    @Test
    void should_replace_an_image_with_the_same_id() {
        ImageIndex index = open();
        index.upsert("x", unit(8, 0), Map.of("v", "1"));
        index.upsert("x", unit(8, 3), Map.of("v", "2"));
        assertEquals(1, index.size());
        assertEquals(Optional.of(Map.of("v", "2")), index.metadata("x"));
        List<SearchHit> hits = index.search(unit(8, 3), 1);
        assertEquals(1, hits.size());
        assertEquals("x", hits.get(0).id());
        assertEquals(1.0, hits.get(0).score(), SCORE_TOLERANCE, "scored against the new vectors");
        assertEquals(Map.of("v", "2"), hits.get(0).metadata());
        assertEquals(0.0, index.search(unit(8, 0), 1).get(0).score(), SCORE_TOLERANCE, "old vectors are gone");
    }

    @Test
    void should_give_back_each_images_current_vectors() {
        ImageIndex index = open();
        SplittableRandom random = new SplittableRandom(17);
        Features a = randomUnitRows(3, 8, random);
        Features b = randomUnitRows(2, 8, random);
        index.upsert("a", a, Map.of());
        index.upsert("b", randomUnitRows(1, 8, random), Map.of());
        index.upsert("c", randomUnitRows(5, 8, random), Map.of());
        index.upsert("b", b, Map.of());
        assertTrue(index.remove("c"));
        index.commit();
        assertRows(a, index.vectors("a").orElseThrow(), "a");
        assertRows(b, index.vectors("b").orElseThrow(), "b, as replaced");
        assertEquals(Optional.empty(), index.vectors("c"), "removed");
        assertEquals(Optional.empty(), index.vectors("never"), "absent");
    }

    private static void assertRows(Features expected, Features actual, String what) {
        assertEquals(expected.rows(), actual.rows(), what + ": rows");
        assertEquals(expected.cols(), actual.cols(), what + ": width");
        for (int i = 0; i < expected.data().length; i++) {
            assertEquals(expected.data()[i], actual.data()[i], 1e-6, what + ": value " + i);
        }
    }

    @Test
    void should_remove_an_image() {
        ImageIndex index = open();
        index.upsert("a", unit(8, 0), Map.of());
        index.upsert("b", unit(8, 1), Map.of());
        assertTrue(index.remove("a"));
        assertFalse(index.remove("a"), "second remove");
        assertFalse(index.remove("never"), "absent id");
        assertEquals(1, index.size());
        assertEquals(Optional.empty(), index.metadata("a"));
        List<SearchHit> hits = index.search(unit(8, 0), 10);
        assertEquals(List.of("b"), hits.stream().map(SearchHit::id).toList());
    }

    @Test
    void should_rank_by_the_maximum_dot_product_over_each_images_rows() {
        SplittableRandom random = new SplittableRandom(SEED);
        ImageIndex index = open();
        Map<String, Features> images = new HashMap<>();
        for (int i = 0; i < 60; i++) {
            Features rows = randomUnitRows(1 + random.nextInt(5), 8, random);
            String id = "img-" + i;
            images.put(id, rows);
            index.upsert(id, rows, Map.of("n", Integer.toString(i)));
        }
        assertEquals(60, index.size());
        for (int q = 0; q < 10; q++) {
            Features query = randomUnitRows(1, 8, random);
            for (int k : new int[] {1, 7, 60}) {
                checkRanking(index.search(query, k), images, query, k, "seed " + SEED + ", query " + q + ", k " + k);
            }
        }
    }

    private void checkRanking(
            List<SearchHit> hits, Map<String, Features> images, Features query, int k, String what) {
        List<Map.Entry<String, Double>> expected = new ArrayList<>();
        for (Map.Entry<String, Features> e : images.entrySet()) {
            expected.add(Map.entry(e.getKey(), expectedScore(e.getValue(), query)));
        }
        expected.sort(Comparator.<Map.Entry<String, Double>>comparingDouble(Map.Entry::getValue)
                .reversed()
                .thenComparing(Map.Entry::getKey));
        int want = Math.min(k, images.size());
        if (isExact()) {
            assertEquals(want, hits.size(), what + ": number of hits");
        } else {
            assertTrue(hits.size() <= want && !hits.isEmpty(), what + ": number of hits " + hits.size());
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < hits.size(); i++) {
            SearchHit hit = hits.get(i);
            assertTrue(seen.add(hit.id()), what + ": duplicate id " + hit.id());
            Features rows = images.get(hit.id());
            if (rows == null) {
                fail(what + ": unknown id " + hit.id());
            }
            assertEquals(expectedScore(rows, query), hit.score(), SCORE_TOLERANCE, what + ": score of " + hit.id());
            if (i > 0) {
                assertTrue(hits.get(i - 1).score() >= hit.score(), what + ": not sorted at " + i);
            }
            if (isExact()) {
                // Near-ties may be ordered either way by float rounding, so compare scores, not ids.
                assertEquals(expected.get(i).getValue(), hit.score(), SCORE_TOLERANCE, what + ": score at rank " + i);
            }
        }
    }

    @Test
    void should_break_ties_by_id() {
        ImageIndex index = open();
        for (String id : List.of("delta", "alpha", "charlie", "bravo")) {
            index.upsert(id, unit(8, 2), Map.of());
        }
        index.upsert("zulu", unit(8, 5), Map.of());
        List<SearchHit> hits = index.search(unit(8, 2), 4);
        assertEquals(List.of("alpha", "bravo", "charlie", "delta"), hits.stream().map(SearchHit::id).toList());
    }

    @Test
    void should_return_every_image_when_k_exceeds_the_size() {
        ImageIndex index = open();
        index.upsert("a", unit(8, 0), Map.of());
        index.upsert("b", unit(8, 1), Map.of());
        index.upsert("c", unit(8, 2), Map.of());
        List<SearchHit> hits = index.search(unit(8, 1), 1000);
        assertEquals(3, hits.size());
        assertEquals("b", hits.get(0).id());
    }

    @Test
    void should_clamp_a_huge_k_to_the_size_instead_of_allocating_it() {
        ImageIndex index = open();
        assertEquals(List.of(), index.search(unit(8, 0), Integer.MAX_VALUE), "empty index");
        index.upsert("a", unit(8, 0), Map.of());
        index.upsert("b", unit(8, 1), Map.of());
        List<SearchHit> hits = index.search(unit(8, 1), 2_000_000_000);
        assertEquals(List.of("b", "a"), hits.stream().map(SearchHit::id).toList());
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_vectors_have_the_wrong_width() {
        ImageIndex index = open();
        assertThrows(
                InvalidArgumentException.class,
                () -> index.upsert("a", Features.ofVector(new float[] {1, 0, 0}), Map.of()));
        assertEquals(0, index.size(), "a refused upsert must not add");
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_query_has_the_wrong_width() {
        ImageIndex index = open();
        index.upsert("a", unit(8, 0), Map.of());
        assertThrows(InvalidArgumentException.class, () -> index.search(unit(9, 0), 1));
        assertThrows(InvalidArgumentException.class, () -> index.search(unit(7, 0), 1));
    }

    @Test
    void should_throw_InvalidArgumentException_when_k_is_not_positive() {
        ImageIndex index = open();
        index.upsert("a", unit(8, 0), Map.of());
        assertThrows(InvalidArgumentException.class, () -> index.search(unit(8, 0), 0));
        assertThrows(InvalidArgumentException.class, () -> index.search(unit(8, 0), -3));
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_id_is_empty() {
        ImageIndex index = open();
        assertThrows(InvalidArgumentException.class, () -> index.upsert("", unit(8, 0), Map.of()));
    }

    @Test
    void should_allow_commit_and_close_twice() {
        ImageIndex index = open();
        index.upsert("a", unit(8, 0), Map.of());
        assertDoesNotThrow(index::commit);
        index.close();
        assertDoesNotThrow(index::close);
    }

    @Test
    void should_answer_searches_consistently_while_images_are_written() throws Exception {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        ImageIndex index = open();
        // Every version an id ever had: a concurrent search may see any of them, but never a mix.
        Map<String, List<Features>> versions = new ConcurrentHashMap<>();
        for (int i = 0; i < 20; i++) {
            Features rows = randomUnitRows(3, 8, random);
            versions.computeIfAbsent("base-" + i, id -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(rows);
            index.upsert("base-" + i, rows, Map.of());
        }
        List<Features> writes = new ArrayList<>();
        List<String> writeIds = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String id = i % 3 == 0 ? "base-" + (i % 20) : "new-" + i;
            Features rows = randomUnitRows(1 + i % 4, 8, random);
            writeIds.add(id);
            writes.add(rows);
            versions.computeIfAbsent(id, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(rows);
        }
        List<Features> queries = new ArrayList<>();
        for (int q = 0; q < 16; q++) {
            queries.add(randomUnitRows(1, 8, random));
        }
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < writes.size(); i++) {
                    index.upsert(writeIds.get(i), writes.get(i), Map.of("i", Integer.toString(i)));
                }
            } finally {
                writing.set(false);
            }
        });
        writer.start();
        List<String> problems = ContractSupport.runConcurrently(ContractSupport.THREADS - 1, t -> {
            int searches = 0;
            while (writing.get() || searches < 5) {
                Features query = queries.get((t + searches) % queries.size());
                List<SearchHit> hits = index.search(query, 10);
                Set<String> ids = new HashSet<>();
                for (int i = 0; i < hits.size(); i++) {
                    SearchHit hit = hits.get(i);
                    if (!ids.add(hit.id())) {
                        return "duplicate id " + hit.id();
                    }
                    if (i > 0 && hits.get(i - 1).score() < hit.score()) {
                        return "unsorted at " + i;
                    }
                    boolean matches = false;
                    for (Features version : versions.getOrDefault(hit.id(), List.of())) {
                        matches |= Math.abs(expectedScore(version, query) - hit.score()) <= SCORE_TOLERANCE;
                    }
                    if (!matches) {
                        return "score " + hit.score() + " of " + hit.id() + " matches no version of it";
                    }
                }
                searches++;
            }
            return null;
        });
        writer.join();
        for (String problem : problems) {
            assertEquals(null, problem, "seed " + (SEED + 1));
        }
        assertEquals(versions.size(), index.size(), "final size: every id written once or more");
    }
}
