package org.vlalign.core.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.IndexCorruptedException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.VlalignException;

class ExactImageIndexTest {
    private static final EmbeddingSpace SPACE = IndexTestData.SPACE;
    @TempDir Path tmp;

    @Test
    void should_equal_brute_force_when_the_scan_runs_in_parallel_slices() {
        long seed = 20261123L;
        SplittableRandom random = new SplittableRandom(seed);
        int dim = 96;
        EmbeddingSpace space = new EmbeddingSpace("test", "fp", "none", dim);
        Map<String, Features> images = new HashMap<>();
        try (ExactImageIndex index = ExactImageIndex.inMemory(space)) {
            // about 16k images × 3.5 rows × 96 > 4M floats: the parallel path
            for (int i = 0; i < 16_000; i++) {
                String id = "img-" + i;
                Features f = IndexTestData.unitRows(1 + random.nextInt(6), dim, random);
                images.put(id, f);
                index.upsert(id, f, Map.of());
            }
            for (int i = 0; i < 16_000; i += 7) {
                assertTrue(index.remove("img-" + i));
                images.remove("img-" + i);
            }
            assertEquals(images.size(), index.size());
            for (int q = 0; q < 20; q++) {
                float[] query = IndexTestData.unitRows(1, dim, random).data();
                List<SearchHit> hits = index.search(Features.ofVector(query), 10);
                List<Map.Entry<String, Double>> want = IndexTestData.bruteForce(images, query, 10);
                assertEquals(10, hits.size());
                for (int i = 0; i < 10; i++) {
                    String what = "seed " + seed + ", query " + q + ", rank " + i;
                    assertEquals(want.get(i).getValue(), hits.get(i).score(), 1e-5, what);
                    assertEquals(
                            IndexTestData.score(images.get(hits.get(i).id()), query),
                            hits.get(i).score(),
                            1e-5,
                            what + ": score of " + hits.get(i).id());
                }
            }
        }
    }

    @Test
    void should_keep_the_last_commit_and_drop_uncommitted_writes_when_reopened() {
        long seed = 7L;
        SplittableRandom random = new SplittableRandom(seed);
        Path dir = tmp.resolve("idx");
        Map<String, Features> committed = new TreeMap<>();
        Map<String, Map<String, String>> meta = new HashMap<>();
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 40; i++) {
                    String id = "r" + round + "-" + i;
                    Features f = IndexTestData.unitRows(1 + (i % 3), 16, random);
                    Map<String, String> m = Map.of("round", Integer.toString(round), "i", "" + i);
                    index.upsert(id, f, m);
                    committed.put(id, f);
                    meta.put(id, m);
                }
                index.remove("r" + round + "-0");
                committed.remove("r" + round + "-0");
                Features replaced = IndexTestData.unitRows(2, 16, random);
                index.upsert("r0-5", replaced, Map.of("replaced", "yes"));
                committed.put("r0-5", replaced);
                meta.put("r0-5", Map.of("replaced", "yes"));
                index.commit();
                assertEquals(round + 1, index.generation());
            }
            index.upsert("uncommitted", IndexTestData.unitRows(1, 16, random), Map.of());
            index.remove("r1-1");
        }
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            assertEquals(3, index.generation());
            assertEquals(List.copyOf(committed.keySet()), index.ids());
            for (Map.Entry<String, Features> e : committed.entrySet()) {
                assertEquals(Optional.of(e.getValue()), index.vectors(e.getKey()), e.getKey());
                assertEquals(Optional.of(meta.get(e.getKey())), index.metadata(e.getKey()));
            }
            float[] q = committed.get("r2-7").row(0);
            List<SearchHit> hits = index.search(Features.ofVector(q), 1);
            assertEquals("r2-7", hits.get(0).id());
        }
    }

    @Test
    void should_merge_small_segments_when_committing_often() throws IOException {
        SplittableRandom random = new SplittableRandom(11);
        Path dir = tmp.resolve("merge");
        Map<String, Features> expected = new TreeMap<>();
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            for (int c = 0; c < 40; c++) {
                for (int i = 0; i < 5; i++) {
                    String id = "id-" + ((c * 5 + i) % 120); // overwrites after 24 commits
                    Features f = IndexTestData.unitRows(1, 16, random);
                    index.upsert(id, f, Map.of());
                    expected.put(id, f);
                }
                index.commit();
                int segments = IndexTestData.files(dir, ".*\\.vseg").size();
                assertTrue(segments <= 12, "commit " + c + " left " + segments + " segment files");
            }
        }
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            assertEquals(List.copyOf(expected.keySet()), index.ids());
            for (Map.Entry<String, Features> e : expected.entrySet()) {
                assertEquals(Optional.of(e.getValue()), index.vectors(e.getKey()), e.getKey());
            }
        }
    }

    @Test
    void should_refuse_another_space_with_both_spaces_in_the_message() {
        Path dir = tmp.resolve("space");
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            index.upsert("a", IndexTestData.unitRows(1, 16, new SplittableRandom(1)), Map.of());
            index.commit();
        }
        EmbeddingSpace other = new EmbeddingSpace("test", "fp-2", "none", 16);
        InvalidArgumentException e =
                assertThrows(InvalidArgumentException.class, () -> ExactImageIndex.open(dir, other));
        assertTrue(e.getMessage().contains("fp-1") && e.getMessage().contains("fp-2"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        EmbeddingSpace wider = new EmbeddingSpace("test", "fp-1", "none", 32);
        assertThrows(InvalidArgumentException.class, () -> ExactImageIndex.open(dir, wider));
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            assertEquals(1, index.size(), "a refused open must not damage the index");
        }
    }

    @Test
    void should_refuse_a_second_open_of_the_same_folder() {
        Path dir = tmp.resolve("locked");
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            VlalignException e = assertThrows(VlalignException.class, () -> ExactImageIndex.open(dir, SPACE));
            assertTrue(e.getMessage().contains("already open"), e.getMessage());
        }
        ExactImageIndex.open(dir, SPACE).close();
    }

    @Test
    void should_refuse_a_folder_that_holds_other_files() throws IOException {
        Path dir = tmp.resolve("foreign");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("notes.txt"), "hello");
        IndexCorruptedException e =
                assertThrows(IndexCorruptedException.class, () -> ExactImageIndex.open(dir, SPACE));
        assertTrue(e.getMessage().contains("notes.txt"), e.getMessage());
    }

    @Test
    void should_throw_IndexCorruptedException_when_a_segment_byte_is_flipped() throws IOException {
        Path dir = committedIndex("flip");
        Path seg = onlySegment(dir);
        IndexTestData.flipBits(seg, Files.size(seg) / 2, 0x5A);
        assertCorrupt(dir, seg, "checksum");
    }

    @Test
    void should_throw_IndexCorruptedException_when_a_segment_is_truncated() throws IOException {
        Path dir = committedIndex("trunc");
        Path seg = onlySegment(dir);
        try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 10);
        }
        assertCorrupt(dir, seg, "length");
    }

    @Test
    void should_throw_IndexCorruptedException_when_the_magic_number_is_wrong() throws IOException {
        Path dir = committedIndex("magic");
        Path seg = onlySegment(dir);
        IndexTestData.flipBits(seg, 1, 0x5A);
        assertCorrupt(dir, seg, "magic");
    }

    @Test
    void should_throw_IndexCorruptedException_when_the_format_version_is_unknown() throws IOException {
        Path dir = committedIndex("version");
        Path manifest = dir.resolve("MANIFEST");
        try (FileChannel ch = FileChannel.open(manifest, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 99), 4);
        }
        assertCorrupt(dir, manifest, "version 99");
    }

    @Test
    void should_throw_IndexCorruptedException_when_the_manifest_is_damaged() throws IOException {
        Path dir = committedIndex("manifest");
        Path manifest = dir.resolve("MANIFEST");
        IndexTestData.flipBits(manifest, Files.size(manifest) - 12, 0x5A);
        assertCorrupt(dir, manifest, "checksum");
        Path dir2 = committedIndex("manifest-trunc");
        Path manifest2 = dir2.resolve("MANIFEST");
        try (FileChannel ch = FileChannel.open(manifest2, StandardOpenOption.WRITE)) {
            ch.truncate(10);
        }
        assertCorrupt(dir2, manifest2, "too short");
    }

    @Test
    void should_throw_IndexCorruptedException_when_a_segment_file_is_missing() throws IOException {
        Path dir = committedIndex("missing");
        Path seg = onlySegment(dir);
        Files.delete(seg);
        assertCorrupt(dir, seg, "missing");
    }

    @Test
    void should_throw_InvalidArgumentException_when_a_vector_is_not_finite() {
        try (ExactImageIndex index = ExactImageIndex.inMemory(SPACE)) {
            float[] v = new float[16];
            v[3] = Float.NaN;
            assertThrows(InvalidArgumentException.class, () -> index.upsert("a", Features.ofVector(v), Map.of()));
            assertThrows(InvalidArgumentException.class, () -> index.search(Features.ofVector(v), 1));
            assertThrows(
                    InvalidArgumentException.class,
                    () -> index.search(Features.of(new float[32], 2, 16), 1),
                    "a query must be one row");
        }
    }

    @Test
    void should_throw_when_used_after_close() {
        ExactImageIndex index = ExactImageIndex.inMemory(SPACE);
        index.close();
        assertThrows(VlalignException.class, () -> index.size());
        assertFalse(index.toString().isEmpty());
    }

    private Path committedIndex(String name) {
        Path dir = tmp.resolve(name);
        SplittableRandom random = new SplittableRandom(3);
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("source", "/x/y.png");
            for (int i = 0; i < 50; i++) {
                index.upsert("img-" + i, IndexTestData.unitRows(2, 16, random), m);
            }
            index.commit();
        }
        return dir;
    }

    private static Path onlySegment(Path dir) throws IOException {
        List<Path> segs = IndexTestData.files(dir, ".*\\.vseg");
        assertEquals(1, segs.size(), segs.toString());
        return segs.get(0);
    }

    private static void assertCorrupt(Path dir, Path file, String what) {
        IndexCorruptedException e =
                assertThrows(IndexCorruptedException.class, () -> ExactImageIndex.open(dir, SPACE));
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(what), "expected '" + what + "' in: " + e.getMessage());
        // the failed open released the folder lock
        assertThrows(IndexCorruptedException.class, () -> ExactImageIndex.open(dir, SPACE));
    }

    @Test
    void should_search_consistently_while_another_thread_writes_and_commits() throws Exception {
        long seed = 404L;
        SplittableRandom random = new SplittableRandom(seed);
        Path dir = tmp.resolve("concurrent");
        Map<String, Features> images = new java.util.concurrent.ConcurrentHashMap<>();
        List<Features> writes = new java.util.ArrayList<>();
        for (int i = 0; i < 600; i++) {
            writes.add(IndexTestData.unitRows(1 + i % 3, 16, random));
        }
        Features query = IndexTestData.unitRows(1, 16, random);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            Thread writer =
                    new Thread(
                            () -> {
                                for (int i = 0; i < writes.size(); i++) {
                                    // every id is written once, so a hit's score must match it
                                    images.put("id-" + i, writes.get(i));
                                    index.upsert("id-" + i, writes.get(i), Map.of());
                                    if (i % 50 == 49) {
                                        index.commit();
                                    }
                                }
                            });
            Thread searcher =
                    new Thread(
                            () -> {
                                try {
                                    while (writer.isAlive()) {
                                        for (SearchHit h : index.search(query, 5)) {
                                            double want = IndexTestData.score(images.get(h.id()), query.row(0));
                                            if (Math.abs(want - h.score()) > 1e-5) {
                                                throw new AssertionError(h + " but expected " + want);
                                            }
                                        }
                                    }
                                } catch (Throwable t) {
                                    failure.set(t);
                                }
                            });
            writer.start();
            searcher.start();
            writer.join();
            searcher.join();
        }
        assertEquals(null, failure.get(), "seed " + seed);
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            assertEquals(600, index.size(), "all 12 commits are durable");
            assertEquals(Optional.of(writes.get(599)), index.vectors("id-599"));
        }
    }

    @Test
    void should_round_trip_vectors_exactly() {
        Path dir = tmp.resolve("exact-bits");
        float[] v = {Float.MIN_VALUE, -0f, 1f, -1f, 0.1f, 1e-30f, 3.4e38f, -2.5f,
            0, 0, 0, 0, 0, 0, 0, 0.125f};
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            index.upsert("é/ü 名.png", Features.ofVector(v), Map.of("ключ", "значение"));
            index.commit();
        }
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            assertArrayEquals(v, index.vectors("é/ü 名.png").orElseThrow().data());
            assertEquals(Optional.of(Map.of("ключ", "значение")), index.metadata("é/ü 名.png"));
        }
    }

    @Test
    void should_refuse_a_segment_replaced_by_another_valid_segment_of_the_same_size() throws IOException {
        Path dir = tmp.resolve("swap");
        SplittableRandom random = new SplittableRandom(31);
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            for (int commit = 0; commit < 2; commit++) {
                for (int i = 0; i < 10; i++) {
                    index.upsert("c" + commit + "-" + i, IndexTestData.unitRows(1, 16, random), Map.of());
                }
                index.commit();
            }
        }
        List<Path> segments = IndexTestData.files(dir, ".*\\.vseg");
        assertEquals(2, segments.size());
        assertEquals(Files.size(segments.get(0)), Files.size(segments.get(1)), "same-size segments");
        Files.copy(segments.get(1), segments.get(0), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        IndexCorruptedException e = assertThrows(IndexCorruptedException.class, () -> ExactImageIndex.open(dir, SPACE));
        assertTrue(e.getMessage().contains("the manifest recorded"), e.getMessage());
        assertThrows(IndexCorruptedException.class, () -> ExactImageIndex.openReadOnly(dir, SPACE));
    }

    @Test
    void should_refuse_an_image_count_the_segment_cannot_hold_before_allocating() throws IOException {
        Path dir = tmp.resolve("count");
        try (ExactImageIndex index = ExactImageIndex.open(dir, SPACE)) {
            index.upsert("a", IndexTestData.unitRows(1, 16, new SplittableRandom(1)), Map.of());
            index.commit();
        }
        Path seg = IndexTestData.files(dir, ".*\\.vseg").get(0);
        // a forged header: 2^31-1 images, checksum recomputed so only the bound can catch it
        byte[] bytes = Files.readAllBytes(seg);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(12, Integer.MAX_VALUE);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, bytes.length - 8);
        b.putInt(bytes.length - 8, (int) crc.getValue());
        Files.write(seg, bytes);
        assertThrows(IndexCorruptedException.class, () -> ExactImageIndex.open(dir, SPACE));
    }

    @Test
    void should_search_the_last_commit_read_only_while_a_writer_holds_the_folder() {
        Path dir = tmp.resolve("shared");
        SplittableRandom random = new SplittableRandom(3);
        Features a = IndexTestData.unitRows(1, 16, random);
        try (ExactImageIndex writer = ExactImageIndex.open(dir, SPACE)) {
            writer.upsert("a", a, Map.of());
            writer.commit();
            writer.upsert("uncommitted", IndexTestData.unitRows(1, 16, random), Map.of());
            try (ExactImageIndex reader = ExactImageIndex.openReadOnly(dir, SPACE)) {
                assertEquals(1, reader.size());
                assertEquals("a", reader.search(a, 3).get(0).id());
                assertThrows(VlalignException.class, () -> reader.upsert("x", a, Map.of()));
                assertThrows(VlalignException.class, () -> reader.remove("a"));
                for (int i = 0; i < 30; i++) { // commits (and merges) while a reader opens
                    writer.upsert("w" + i, IndexTestData.unitRows(1, 16, random), Map.of());
                    writer.commit();
                    try (ExactImageIndex again = ExactImageIndex.openReadOnly(dir, SPACE)) {
                        assertEquals(i + 3, again.size(), "a, uncommitted and w0..w" + i);
                    }
                }
            }
        }
    }

    @Test
    void should_leave_no_lock_file_in_a_folder_that_is_not_an_index() throws IOException {
        Path photos = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(photos.resolve("cat.jpg"), "not really");
        assertThrows(IndexCorruptedException.class, () -> ExactImageIndex.open(photos, SPACE));
        assertThrows(IndexCorruptedException.class, () -> ExactImageIndex.openReadOnly(photos, SPACE));
        assertEquals(List.of(photos.resolve("cat.jpg")), IndexTestData.files(photos, ".*"));
    }
}
