package org.vlalign.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;

class RetrievalEvaluatorTest {
    private static final float S = (float) (1 / Math.sqrt(2));
    @TempDir Path tmp;

    private static Features v(float... x) {
        return Features.ofVector(x);
    }

    @Test
    void should_compute_recall_in_both_directions_on_a_hand_made_dataset() {
        // images: I0 = x, I1 = y, I2 = diagonal
        List<Features> images = List.of(v(1, 0), v(0, 1), v(S, S));
        // captions: T0 of I0 = x, T1 of I1 = x, T2 of I2 = y, T3 of I0 = (0.6, 0.8)
        List<Features> texts = List.of(v(1, 0), v(1, 0), v(0, 1), v(0.6f, 0.8f));
        int[] owner = {0, 1, 2, 0};
        RetrievalEvaluator.Result r = RetrievalEvaluator.evaluate(images, texts, owner, 1, 2, 3, 4);
        // T0: I0 first; T1: I0 (1) and I2 (.71) ahead of I1 (0); T2: I1 ahead; T3: I2 (.99) and I1 (.8)
        assertArrayEquals(new int[] {0, 2, 1, 2}, r.textRanks());
        // I0: T0 scores 1 and is first (T1 ties but comes later); I1: T2, T3 and T0 (tie, earlier)
        // beat T1; I2: T3 beats T2, and T0, T1 tie with it but come earlier
        assertArrayEquals(new int[] {0, 3, 3}, r.imageRanks());
        assertEquals(new RecallAtK(1, 0.25, 1 / 3.0), r.recall(1));
        assertEquals(new RecallAtK(2, 0.5, 1 / 3.0), r.recall(2));
        assertEquals(new RecallAtK(3, 1.0, 1 / 3.0), r.recall(3));
        assertEquals(new RecallAtK(4, 1.0, 1.0), r.recall(4));
        assertThrows(InvalidArgumentException.class, () -> r.recall(10));
    }

    @Test
    void should_score_an_image_by_its_best_vector() {
        List<Features> images = List.of(Features.of(new float[] {1, 0, 0, 1}, 2, 2), v(S, S));
        List<Features> texts = List.of(v(0, 1));
        RetrievalEvaluator.Result r = RetrievalEvaluator.evaluate(images, texts, new int[] {0});
        assertArrayEquals(new int[] {0}, r.textRanks(), "the second row of image 0 matches exactly");
        assertEquals(List.of(1, 5, 10), r.recalls().stream().map(RecallAtK::k).toList(), "default ks");
    }

    @Test
    void should_match_a_naive_ranking_on_random_vectors() {
        long seed = 31L;
        SplittableRandom random = new SplittableRandom(seed);
        int nImages = 40, dim = 8;
        List<Features> images = new java.util.ArrayList<>();
        for (int i = 0; i < nImages; i++) {
            images.add(randomRows(1 + random.nextInt(3), dim, random));
        }
        int[] owner = new int[120];
        List<Features> texts = new java.util.ArrayList<>();
        for (int t = 0; t < owner.length; t++) {
            owner[t] = random.nextInt(nImages);
            texts.add(randomRows(1, dim, random));
        }
        RetrievalEvaluator.Result r = RetrievalEvaluator.evaluate(images, texts, owner, 5);
        int hits = 0;
        for (int t = 0; t < owner.length; t++) {
            double mine = naive(images.get(owner[t]), texts.get(t));
            int better = 0;
            for (Features image : images) {
                better += naive(image, texts.get(t)) > mine + 1e-6 ? 1 : 0;
            }
            hits += better < 5 ? 1 : 0;
            assertEquals(better, r.textRanks()[t], "seed " + seed + ", text " + t);
        }
        assertEquals(hits / 120.0, r.recall(5).textToImage(), 1e-12, "seed " + seed);
    }

    private static Features randomRows(int rows, int dim, SplittableRandom random) {
        float[] d = new float[rows * dim];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) random.nextGaussian();
        }
        return Features.of(d, rows, dim);
    }

    private static double naive(Features image, Features text) {
        double best = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < image.rows(); r++) {
            double s = 0;
            float[] row = image.row(r);
            float[] q = text.row(0);
            for (int c = 0; c < q.length; c++) {
                s += (double) row[c] * q[c];
            }
            best = Math.max(best, s);
        }
        return best;
    }

    @Test
    void should_evaluate_a_karpathy_split_with_a_feature_extractor() throws Exception {
        String json =
                "{\"dataset\":\"coco\",\"images\":["
                        + "{\"filepath\":\"val2014\",\"filename\":\"a.jpg\",\"split\":\"test\","
                        + "\"sentences\":[{\"raw\":\"east\",\"tokens\":[\"east\"]},{\"raw\":\"north\"}]},"
                        + "{\"filename\":\"b.jpg\",\"split\":\"train\",\"sentences\":[{\"raw\":\"east\"}]},"
                        + "{\"filename\":\"c.jpg\",\"split\":\"test\",\"sentences\":[{\"raw\":\"north\"}]}]}";
        Path file = Files.writeString(tmp.resolve("dataset.json"), json);
        CaptionDataset test = CaptionDataset.load(file, tmp.resolve("img"), "test");
        assertEquals(2, test.images().size());
        assertEquals(3, test.captionCount());
        assertEquals(tmp.resolve("img/val2014/a.jpg"), test.images().get(0).file());
        assertEquals(tmp.resolve("img/c.jpg"), test.images().get(1).file());
        assertEquals(List.of("east", "north"), test.images().get(0).captions());
        assertEquals(3, CaptionDataset.load(file, tmp, null).images().size());

        Map<String, Features> imageVectors = Map.of("a.jpg", v(1, 0), "c.jpg", v(0, 1));
        Map<String, Features> textVectors = Map.of("east", v(1, 0), "north", v(0, 1));
        FeatureExtractor fake =
                new FeatureExtractor() {
                    @Override
                    public Features extract(ImageInput image, String instruction) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public int featureWidth() {
                        return 2;
                    }

                    @Override
                    public boolean canEmbed() {
                        return true;
                    }

                    @Override
                    public EmbeddingSpace embeddingSpace() {
                        return new EmbeddingSpace("fake", "f", "none", 2);
                    }

                    @Override
                    public Features embedImage(ImageInput image) {
                        return imageVectors.get(image.path().orElseThrow().getFileName().toString());
                    }

                    @Override
                    public Features embedText(String text) {
                        return textVectors.get(text);
                    }

                    @Override
                    public void close() {}
                };
        RetrievalEvaluator.Result r = RetrievalEvaluator.evaluate(fake, test, 1);
        // "north" of a.jpg ranks c.jpg first: 2 of 3 captions hit at 1. For c.jpg, a.jpg's "north"
        // ties with its own and comes earlier, so only a.jpg finds its caption first.
        assertEquals(new RecallAtK(1, 2 / 3.0, 0.5), r.recall(1));
    }

    @Test
    void should_reject_a_file_that_is_not_in_the_karpathy_format() throws Exception {
        Path file = Files.writeString(tmp.resolve("bad.json"), "{\"annotations\": []}");
        Exception e = assertThrows(RuntimeException.class, () -> CaptionDataset.load(file, tmp, null));
        assertEquals(true, e.getMessage().contains("bad.json") && e.getMessage().contains("images"), e.getMessage());
        assertThrows(
                InvalidArgumentException.class,
                () -> RetrievalEvaluator.evaluate(List.of(v(1, 0)), List.of(v(1, 0)), new int[] {3}));
    }
}
