package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.VlModel;
import org.vlalign.cli.CliRunner.Result;
import org.vlalign.core.index.ExactImageIndex;

class IndexSearchCommandTest {

    @TempDir Path tmp;

    private Path model;
    private Path photos;
    private Path index;

    @BeforeEach
    void setUp() throws IOException {
        FakeVlModel.reset();
        model = FakeModelProvider.writeCheckpoint(tmp.resolve("model"), false);
        photos = tmp.resolve("photos");
        TestImages.png(photos.resolve("red.png"), Color.RED);
        TestImages.png(photos.resolve("sub/green.png"), Color.GREEN);
        TestImages.png(photos.resolve("blue.png"), Color.BLUE);
        TestImages.corruptJpeg(photos.resolve("broken.jpg"));
        Files.writeString(photos.resolve("notes.txt"), "not an image");
        index = tmp.resolve("photos.idx");
    }

    private Result index() {
        return CliRunner.run("index", "--model", model.toString(), "--index", index.toString(), photos.toString());
    }

    /** The ids of the hits, in rank order, from search's output lines "rank score id source". */
    private static List<String> ids(Result r) {
        List<String> ids = new ArrayList<>();
        for (String line : r.out().split("\\R")) {
            if (!line.isBlank()) {
                ids.add(line.strip().split("\\s+")[3]); // rank, score, relevance, id
            }
        }
        return ids;
    }

    @Test
    void should_index_and_search_the_model_own_index_when_no_index_is_given() throws IOException {
        Path own;
        try (VlModel vl = VlModel.load(model)) {
            own = DefaultIndex.folder(vl.featureExtractor().embeddingSpace());
        }
        if (Files.exists(own)) {
            MoreFiles.deleteRecursively(own, RecursiveDeleteOption.ALLOW_INSECURE);
        }
        Result indexed = CliRunner.run("index", "--model", model.toString(), photos.toString());
        assertEquals(0, indexed.exitCode(), indexed.toString());
        assertTrue(indexed.out().contains(own.toString()), indexed.toString());

        Result found = CliRunner.run("search", "--model", model.toString(), "-k", "1", "a", "red", "square");
        assertEquals(0, found.exitCode(), found.toString());
        assertEquals(1, found.out().lines().count(), found.toString());
    }

    @Test
    void should_index_images_and_report_skipped_files() {
        Result r = index();

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("Indexed 3 new or changed images, 0 unchanged, 1 skipped"), r.toString());
        assertTrue(r.out().contains("Skipped files:"), r.toString());
        assertTrue(r.out().contains(photos.resolve("broken.jpg").toString() + ": "), r.toString());
        assertTrue(r.out().contains("now holds 3 images"), r.toString());
        assertTrue(r.err().contains("4/4 images"), "progress reaches the end: " + r);
    }

    @Test
    void should_rank_the_matching_image_first_when_searching() {
        assertEquals(0, index().exitCode());

        Result red = CliRunner.run("search", "--model", model.toString(), "--index", index.toString(), "a", "red",
                "car");
        Result green = CliRunner.run("search", "-m", model.toString(), "--index", index.toString(), "-k", "2",
                "green");

        assertEquals(0, red.exitCode(), red.toString());
        assertEquals(List.of("red.png", "blue.png", "sub/green.png"), sortedAfterFirst(ids(red)), red.toString());
        assertTrue(red.out().contains(photos.resolve("red.png").toString()), "shows the file: " + red);
        assertEquals(2, ids(green).size(), green.toString());
        assertEquals("sub/green.png", ids(green).get(0), green.toString());
        assertTrue(green.err().contains("2 of 3 images"), green.toString());
    }

    private static List<String> sortedAfterFirst(List<String> ids) {
        List<String> rest = new ArrayList<>(ids.subList(1, ids.size()));
        rest.sort(null);
        List<String> out = new ArrayList<>(List.of(ids.get(0)));
        out.addAll(rest);
        return out;
    }

    @Test
    void should_embed_only_new_or_changed_files_when_indexing_again() throws IOException {
        assertEquals(0, index().exitCode());
        assertEquals(4, FakeVlModel.EMBEDDED_IMAGES.get(), "3 images and the corrupt file were tried");

        FakeVlModel.reset();
        Result again = index();

        assertEquals(0, again.exitCode(), again.toString());
        assertTrue(again.out().contains("Indexed 0 new or changed images, 3 unchanged, 1 skipped"), again.toString());
        assertEquals(1, FakeVlModel.EMBEDDED_IMAGES.get(), "only the corrupt file is tried again");
        assertTrue(again.err().contains("holds 3 images"), again.toString());

        Path blue = photos.resolve("blue.png");
        Files.setLastModifiedTime(blue, FileTime.fromMillis(Files.getLastModifiedTime(blue).toMillis() - 60_000));
        TestImages.png(photos.resolve("new/yellow.png"), Color.YELLOW);
        FakeVlModel.reset();
        Result third = index();

        assertTrue(third.out().contains("Indexed 2 new or changed images, 2 unchanged, 1 skipped"), third.toString());
        assertTrue(third.out().contains("now holds 4 images"), third.toString());
        assertEquals(3, FakeVlModel.EMBEDDED_IMAGES.get());
    }

    @Test
    void should_search_the_last_commit_while_an_indexer_holds_the_folder() {
        assertEquals(0, index().exitCode());
        try (VlModel vl = VlModel.load(model);
                ExactImageIndex writer = ExactImageIndex.open(index, vl.featureExtractor().embeddingSpace())) {
            // the writer holds the folder's lock, as a running `vlalign index` does
            Result r = CliRunner.run("search", "-m", model.toString(), "--index", index.toString(), "-k", "1", "a",
                    "red", "car");

            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.out().contains(photos.resolve("red.png").toString()), r.toString());
        }
    }

    @Test
    void should_leave_an_image_folder_untouched_when_it_is_searched_as_an_index() throws IOException {
        List<String> before = listing(photos);

        Result r = CliRunner.run("search", "-m", model.toString(), "--index", photos.toString(), "red");

        assertEquals(before, listing(photos), "no lock or index file is left among the images: " + r);
        assertEquals(1, r.exitCode(), r.toString());
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void should_clamp_a_huge_k_to_the_images_in_the_index() {
        assertEquals(0, index().exitCode());

        Result r = CliRunner.run("search", "-m", model.toString(), "--index", index.toString(), "-k", "2000000000",
                "red");

        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(3, r.out().lines().filter(line -> !line.isBlank()).count(), r.toString());
        assertTrue(r.err().contains("3 of 3 images"), r.toString());
    }

    @Test
    void should_explain_and_exit_1_when_index_does_not_exist() {
        Result r = CliRunner.run("search", "-m", model.toString(), "--index", tmp.resolve("none").toString(), "red");

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("No index at " + tmp.resolve("none")), r.toString());
        assertTrue(r.err().contains("vlalign index"), "says how to build one: " + r);
    }

    @Test
    void should_exit_2_when_k_is_not_positive() {
        Result r = CliRunner.run("search", "-m", model.toString(), "--index", index.toString(), "-k", "0", "red");

        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("-k must be at least 1"), r.toString());
    }

    @Test
    void should_exit_2_when_search_text_is_missing() {
        Result r = CliRunner.run("search", "-m", model.toString(), "--index", index.toString());

        assertEquals(2, r.exitCode(), r.toString());
    }

    @Test
    void should_explain_and_exit_1_when_image_folder_is_missing() {
        Path none = tmp.resolve("no-photos");

        Result r = CliRunner.run("index", "-m", model.toString(), "--index", index.toString(), none.toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Image folder " + none + " does not exist"), r.toString());
        assertTrue(Files.notExists(index), "no index is created for nothing");
    }

    @Test
    void should_fail_before_indexing_when_model_cannot_search() throws IOException {
        Path answerOnly = FakeModelProvider.writeAnswerOnlyCheckpoint(tmp.resolve("answer-only"));

        Result r = CliRunner.run("index", "-m", answerOnly.toString(), "--index", index.toString(),
                photos.toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("no search projections"), r.toString());
        assertEquals(0, FakeVlModel.EMBEDDED_IMAGES.get());
    }

    @Test
    void should_exit_1_when_no_image_could_be_indexed() throws IOException {
        Path bad = tmp.resolve("bad");
        TestImages.corruptJpeg(bad.resolve("a.jpg"));
        TestImages.corruptJpeg(bad.resolve("b.jpg"));

        Result r = CliRunner.run("index", "-m", model.toString(), "--index", index.toString(), bad.toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.out().contains("Indexed 0 new or changed images, 0 unchanged, 2 skipped"), r.toString());
    }
}
