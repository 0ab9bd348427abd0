package org.vlalign.lucene;

import org.vlalign.core.index.ImageIndexes;
import org.vlalign.core.index.IndexTestData;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.core.index.IndexChecks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.IndexCorruptedException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.VlalignException;

class LuceneHnswImageIndexTest {
    private static final EmbeddingSpace SPACE = IndexTestData.SPACE;
    @TempDir Path tmp;

    @Test
    void should_reach_recall_at_10_of_0_9_against_the_exact_index_on_multi_vector_images() {
        long seed = 99L;
        SplittableRandom random = new SplittableRandom(seed);
        int dim = 32;
        EmbeddingSpace space = new EmbeddingSpace("test", "fp", "none", dim);
        try (ExactImageIndex exact = ExactImageIndex.inMemory(space);
                // a narrower build beam than Lucene's default 100 keeps the test fast
                LuceneHnswImageIndex hnsw =
                        LuceneHnswImageIndex.open(
                                tmp.resolve("recall"), space, new LuceneHnswImageIndex.Settings(16, 40, 100, 64))) {
            for (int i = 0; i < 5000; i++) {
                Features f = IndexTestData.unitRows(4, dim, random);
                exact.upsert("img-" + i, f, Map.of());
                hnsw.upsert("img-" + i, f, Map.of("n", "" + i));
            }
            hnsw.commit();
            assertEquals(5000, hnsw.size());
            int found = 0;
            int queries = 100;
            for (int q = 0; q < queries; q++) {
                Features query = IndexTestData.unitRows(1, dim, random);
                Set<String> truth = new HashSet<>();
                exact.search(query, 10).forEach(h -> truth.add(h.id()));
                List<SearchHit> hits = hnsw.search(query, 10);
                assertEquals(10, hits.size());
                for (SearchHit h : hits) {
                    if (truth.contains(h.id())) {
                        found++;
                    }
                    assertEquals("" + h.id().substring(4), h.metadata().get("n"));
                }
            }
            double recall = found / (10.0 * queries);
            assertTrue(recall >= 0.9, "recall@10 " + recall + " with seed " + seed);
        }
    }

    @Test
    void should_keep_committed_writes_and_drop_uncommitted_ones_when_reopened() {
        Path dir = tmp.resolve("persist");
        SplittableRandom random = new SplittableRandom(1);
        Features a = IndexTestData.unitRows(3, 16, random);
        Features b = IndexTestData.unitRows(1, 16, random);
        try (ImageIndex index = ImageIndexes.open(dir, SPACE, "hnsw")) {
            index.upsert("a", a, Map.of("source", "/a.png"));
            index.upsert("b", b, Map.of());
            index.upsert("gone", b, Map.of());
            index.commit();
            index.remove("gone");
            index.upsert("late", a, Map.of());
        }
        try (ImageIndex index = ImageIndexes.open(dir, SPACE, "hnsw")) {
            assertEquals(3, index.size());
            assertEquals(Optional.of(Map.of("source", "/a.png")), index.metadata("a"));
            assertEquals(Optional.empty(), index.metadata("late"));
            List<SearchHit> hits = index.search(Features.ofVector(a.row(2)), 1);
            assertEquals("a", hits.get(0).id());
            assertEquals(1.0, hits.get(0).score(), 1e-5, "score converted back to the dot product");
        }
    }

    @Test
    void should_refuse_another_space_and_an_exact_index_folder() {
        Path dir = tmp.resolve("space");
        LuceneHnswImageIndex.open(dir, SPACE).close();
        EmbeddingSpace other = new EmbeddingSpace("clip", "fp-1", "none", 16);
        InvalidArgumentException e =
                assertThrows(InvalidArgumentException.class, () -> LuceneHnswImageIndex.open(dir, other));
        assertTrue(e.getMessage().contains("clip") && e.getMessage().contains("family=test"), e.getMessage());
        Path exactDir = tmp.resolve("exact");
        ExactImageIndex.open(exactDir, SPACE).close();
        assertThrows(InvalidArgumentException.class, () -> LuceneHnswImageIndex.open(exactDir, SPACE));
    }

    @Test
    void should_refuse_a_second_open_of_the_same_folder() {
        Path dir = tmp.resolve("locked");
        try (LuceneHnswImageIndex index = LuceneHnswImageIndex.open(dir, SPACE)) {
            assertThrows(VlalignException.class, () -> LuceneHnswImageIndex.open(dir, SPACE));
        }
    }

    @Test
    void should_throw_IndexCorruptedException_when_a_lucene_file_is_damaged() throws IOException {
        Path dir = tmp.resolve("damaged");
        try (LuceneHnswImageIndex index = LuceneHnswImageIndex.open(dir, SPACE)) {
            index.upsert("a", IndexTestData.unitRows(2, 16, new SplittableRandom(2)), Map.of());
            index.commit();
        }
        Path segments = IndexTestData.files(dir, "segments_.*").get(0);
        IndexTestData.flipBits(segments, Files.size(segments) - 20, 0x33);
        IndexCorruptedException e =
                assertThrows(IndexCorruptedException.class, () -> LuceneHnswImageIndex.open(dir, SPACE));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    /** Writes 60 images in two commits, the second without a compound file, so every file kind exists. */
    private static void writeTwoSegments(Path dir) {
        SplittableRandom random = new SplittableRandom(5);
        try (LuceneHnswImageIndex index = LuceneHnswImageIndex.open(dir, SPACE)) {
            for (int i = 0; i < 30; i++) {
                index.upsert("a" + i, IndexTestData.unitRows(1 + i % 3, 16, random), Map.of("k", "v" + i));
            }
            index.commit();
            for (int i = 0; i < 30; i++) {
                index.upsert("b" + i, IndexTestData.unitRows(1 + i % 3, 16, random), Map.of("k", "w" + i));
            }
            index.commit();
        }
    }

    @Test
    void should_detect_one_flipped_byte_in_any_vector_graph_stored_or_compound_file() throws IOException {
        Path pristine = tmp.resolve("pristine");
        writeTwoSegments(pristine);
        Set<String> kinds = new HashSet<>();
        List<Path> files = IndexTestData.files(pristine, ".*\\.(vec|vex|fdt|cfs)");
        for (Path file : files) {
            String name = file.getFileName().toString();
            kinds.add(name.substring(name.lastIndexOf('.') + 1));
            Path dir = tmp.resolve("flip-" + name);
            Files.createDirectories(dir);
            try (Stream<Path> list = Files.list(pristine)) {
                for (Path f : list.toList()) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
            }
            Path damaged = dir.resolve(name);
            // inside the data, away from header and footer
            IndexTestData.flipBits(damaged, Files.size(damaged) / 2, 0x01);
            assertThrows(IndexCorruptedException.class, () -> LuceneHnswImageIndex.open(dir, SPACE).close(),
                    "flipped byte in " + name);
            assertThrows(IndexCorruptedException.class, () -> LuceneHnswImageIndex.openReadOnly(dir, SPACE).close(),
                    "read-only, flipped byte in " + name);
        }
        assertTrue(kinds.containsAll(Set.of("cfs")), "file kinds damaged: " + kinds);
    }

    @Test
    void should_search_the_last_commit_read_only_while_a_writer_holds_the_folder() throws IOException {
        Path dir = tmp.resolve("shared");
        SplittableRandom random = new SplittableRandom(8);
        Features a = IndexTestData.unitRows(1, 16, random);
        try (LuceneHnswImageIndex writer = LuceneHnswImageIndex.open(dir, SPACE)) {
            writer.upsert("a", a, Map.of());
            writer.commit();
            writer.upsert("uncommitted", IndexTestData.unitRows(1, 16, random), Map.of());
            try (LuceneHnswImageIndex reader = LuceneHnswImageIndex.openReadOnly(dir, SPACE)) {
                assertEquals(1, reader.size());
                assertEquals("a", reader.search(a, 5).get(0).id());
                reader.verify();
                assertThrows(VlalignException.class, () -> reader.upsert("x", a, Map.of()));
            }
        }
    }

    @Test
    void should_leave_no_file_when_a_folder_without_an_index_is_opened_read_only() throws IOException {
        Path photos = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(photos.resolve("cat.jpg"), "not really");
        assertThrows(IndexCorruptedException.class, () -> LuceneHnswImageIndex.openReadOnly(photos, SPACE));
        assertEquals(List.of(photos.resolve("cat.jpg")), IndexTestData.files(photos, ".*"));
    }

    @Test
    void should_check_graph_settings_against_lucenes_own_limits() {
        // core keeps the limits for backends that cannot see Lucene (Solr); they must stay Lucene's
        assertEquals(Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN, IndexChecks.HNSW_MAX_CONN);
        assertEquals(Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH, IndexChecks.HNSW_MAX_BEAM_WIDTH);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> new LuceneHnswImageIndex.Settings(513, 100, 100, 64));
        assertEquals("maxConn must be in [2, 512] but was 513", e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> new LuceneHnswImageIndex.Settings(16, 3201, 100, 64));
        assertEquals("beamWidth must be in [1, 3200] but was 3201", e.getMessage());
    }
}
