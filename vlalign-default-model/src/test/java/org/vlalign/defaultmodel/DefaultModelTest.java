package org.vlalign.defaultmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;

class DefaultModelTest {

    @TempDir Path tmp;

    @Test
    void should_extract_every_manifest_file_once_and_reuse_the_copy() throws Exception {
        Path first = DefaultModel.extract(tmp);
        Path again = DefaultModel.extract(tmp);
        assertEquals(first, again);
        List<String> manifest = Files.readAllLines(first.resolve("MANIFEST.tsv"), StandardCharsets.UTF_8);
        assertTrue(manifest.size() > 10, "the manifest lists the checkpoints, adaptor and samples");
        for (String line : manifest) {
            String[] f = line.split("\t");
            assertEquals(Long.parseLong(f[1]), Files.size(first.resolve(f[2])), f[2]);
        }
        assertTrue(Files.isRegularFile(first.resolve("config.json")));
    }

    @Test
    void should_replace_a_partial_copy_left_by_a_crashed_extraction() throws Exception {
        Path complete = DefaultModel.extract(tmp);
        Files.delete(complete.resolve("MANIFEST.tsv")); // written last: without it the copy is incomplete
        Files.writeString(complete.resolve("adaptor.safetensors"), "truncated");
        Path again = DefaultModel.extract(tmp);
        assertTrue(Files.isRegularFile(again.resolve("MANIFEST.tsv")));
        assertTrue(Files.size(again.resolve("adaptor.safetensors")) > 1000);
    }

    @Test
    void should_give_every_concurrent_caller_the_same_complete_folder() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> futures = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Callable<Path> task = () -> DefaultModel.extract(tmp);
                futures.add(pool.submit(task));
            }
            Set<Path> folders = new HashSet<>();
            for (Future<Path> f : futures) {
                folders.add(f.get());
            }
            assertEquals(1, folders.size());
            try (var entries = Files.list(tmp)) {
                assertEquals(1, entries.filter(p -> p.getFileName().toString().startsWith("default-model-")).count(),
                        "no temporary folder is left behind");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void should_answer_and_search_the_bundled_sample_images() {
        List<Path> images = DefaultModel.sampleImages();
        assertTrue(images.size() >= 16, "bundled sample images: " + images.size());
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(16).build();
        try (VlModel model = DefaultModel.load()) {
            Answer a = model.ask(ImageInput.of(images.get(0)), "what colour is the circle?", greedy);
            assertFalse(a.text().isBlank(), "the default model answers");
            for (Path p : images) {
                model.index(p.getFileName().toString(), ImageInput.of(p), Map.of("path", p.toString()));
            }
            List<SearchHit> hits = model.search("a small red circle", 5);
            assertEquals(5, hits.size());
            assertTrue(hits.get(0).score() >= hits.get(4).score());
        }
    }
}
