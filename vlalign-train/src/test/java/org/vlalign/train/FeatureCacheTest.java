package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.core.train.TrainingExample;

class FeatureCacheTest {

    @TempDir
    Path dir;

    /** Features derived from the image bytes (and the instruction when instruction-aware), counting calls. */
    static final class CountingExtractor implements FeatureExtractor {
        final AtomicInteger calls = new AtomicInteger();
        private final boolean instructionAware;

        CountingExtractor(boolean instructionAware) {
            this.instructionAware = instructionAware;
        }

        @Override
        public Features extract(ImageInput image, String instruction) {
            calls.incrementAndGet();
            int seed = image.toString().hashCode() + 31 * instruction.hashCode();
            float[] v = new float[6];
            for (int i = 0; i < v.length; i++) {
                v[i] = seed % 97 + i * 0.5f;
            }
            return Features.of(v, 2, 3);
        }

        @Override
        public boolean acceptsInstruction() {
            return instructionAware;
        }

        @Override
        public int featureWidth() {
            return 3;
        }

        @Override
        public boolean canEmbed() {
            return false;
        }

        @Override
        public EmbeddingSpace embeddingSpace() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Features embedImage(ImageInput image) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Features embedText(String text) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}
    }

    @Test
    void should_compute_each_image_once_and_reuse_it_across_instances() {
        CountingExtractor ex = new CountingExtractor(false);
        Path img = dir.resolve("a.jpg");
        TrainingExample e1 = TrainingExample.of(img, "q1", "x", "");
        TrainingExample e2 = TrainingExample.of(img, "q2", "y", "");
        FeatureCache cache = new FeatureCache(dir.resolve("cache"), ex, "blip-v1");
        Features f = cache.features(e1);
        assertEquals(f, cache.features(e2)); // the query does not matter for this extractor
        cache.precompute(List.of(e1, e2, e1));
        assertEquals(1, ex.calls.get());
        assertEquals(1, cache.computedCount());
        FeatureCache reopened = new FeatureCache(dir.resolve("cache"), ex, "blip-v1");
        assertEquals(f, reopened.features(e1));
        assertEquals(1, ex.calls.get());
        assertEquals(2, f.rows());
        assertEquals(3, f.cols());
    }

    @Test
    void should_recompute_for_another_fingerprint_or_a_broken_file() throws Exception {
        CountingExtractor ex = new CountingExtractor(false);
        Path img = dir.resolve("a.jpg");
        new FeatureCache(dir, ex, "v1").get(img, "");
        new FeatureCache(dir, ex, "v2").get(img, "");
        assertEquals(2, ex.calls.get());
        FeatureCache cache = new FeatureCache(dir, ex, "v1");
        Files.writeString(cache.fileFor(img.toAbsolutePath().normalize(), ""), "garbage");
        Features f = cache.get(img, "");
        assertEquals(3, ex.calls.get());
        assertEquals(f, cache.get(img, ""));
        assertEquals(3, ex.calls.get());
    }

    @Test
    void should_key_on_the_query_for_instruction_aware_extractors() {
        CountingExtractor ex = new CountingExtractor(true);
        Path img = dir.resolve("a.jpg");
        FeatureCache cache = new FeatureCache(dir, ex, "instructblip");
        Features a = cache.features(TrainingExample.of(img, "what color", "x", ""));
        Features b = cache.features(TrainingExample.of(img, "how many", "x", ""));
        assertNotEquals(a, b);
        cache.features(TrainingExample.of(img, "what color", "y", ""));
        assertEquals(2, ex.calls.get());
    }
}
