package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.train.StreamOrder;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyBlip;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;

class ContrastiveObjectiveTest {

    private static final double TEMPERATURE = 0.5;

    @TempDir
    Path dir;

    private static List<ImageText> pairs() {
        String[] captions = {"a red cat on the table", "two dog in the house", "the blue sky", "a man sitting"};
        List<ImageText> out = new ArrayList<>();
        for (int i = 0; i < captions.length; i++) {
            out.add(new ImageText(TestImages.gradient(i + 1, 18 + i, 20), captions[i]));
        }
        return out;
    }

    /** BLIP-2's ITC similarity from the public embeddings: the max over query tokens of their dot products. */
    private static double[][] similarities(ContrastiveObjective itc, List<ImageText> pairs) {
        int n = pairs.size();
        double[][] sim = new double[n][n]; // (image, text)
        for (int i = 0; i < n; i++) {
            Features image = itc.model().embedImage(pairs.get(i).image()); // (queries, dim), normalised
            for (int j = 0; j < n; j++) {
                float[] text = itc.model().embedText(pairs.get(j).text()).data();
                double best = Double.NEGATIVE_INFINITY;
                for (int q = 0; q < image.rows(); q++) {
                    double dot = 0;
                    for (int d = 0; d < image.cols(); d++) {
                        dot += image.data()[q * image.cols() + d] * text[d];
                    }
                    best = Math.max(best, dot);
                }
                sim[i][j] = best;
            }
        }
        return sim;
    }

    @Test
    void should_give_the_symmetric_infonce_of_the_max_over_query_similarities() {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 3L, 1);
        List<ImageText> batch = pairs().subList(0, 3);
        try (ContrastiveObjective itc = ContrastiveObjective.load(blip, TEMPERATURE);
                TrainingLoop<ImageText> loop = TrainingLoop.create(itc, TrainingConfig.builder().microBatchSize(3)
                        .build())) {
            int b = batch.size();
            double[][] logits = new double[b][b];
            double[][] sim = similarities(itc, batch);
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < b; j++) {
                    logits[i][j] = sim[i][j] / TEMPERATURE;
                }
            }
            double sum = 0;
            for (int i = 0; i < b; i++) {
                double row = 0;
                double col = 0;
                for (int j = 0; j < b; j++) {
                    row += Math.exp(logits[i][j]);
                    col += Math.exp(logits[j][i]);
                }
                sum += (-(logits[i][i] - Math.log(row)) - (logits[i][i] - Math.log(col))) / 2;
            }
            assertEquals(sum / b, loop.meanLoss(batch), 1e-4);
            assertThrows(InvalidArgumentException.class, () -> loop.meanLoss(batch.subList(0, 1)),
                    "one pair has no negatives");
        }
    }

    @Test
    void should_train_every_weight_but_the_matching_head_and_save_a_folder_that_reloads_the_same() {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 4L, 1);
        Path saved = dir.resolve("trained");
        ImageInput probe = pairs().get(0).image();
        Features trainedImage;
        try (ContrastiveObjective itc = ContrastiveObjective.load(blip, TEMPERATURE);
                TrainingLoop<ImageText> loop = TrainingLoop.create(itc, TrainingConfig.builder().microBatchSize(2)
                        .schedule(step -> 1e-2).build())) {
            Map<String, float[]> before = itc.model().parameters().values();
            BaseNDManager weights = (BaseNDManager) itc.model().parameters().get("query_tokens").getManager();
            List<Integer> counts = new ArrayList<>();
            loop.addListener(p -> counts.add(weights.getManagedArrays().size()));
            loop.train(StreamOrder.of(pairs(), 2, 3, 9L, (pair, random) -> pair));
            assertEquals(List.of(counts.get(0), counts.get(0), counts.get(0)), counts, "no arrays pile up in the model");
            assertTrue(loop.trainable().keys().stream().noneMatch(k -> k.startsWith("itm_head.")));
            Map<String, float[]> after = itc.model().parameters().values();
            for (String key : before.keySet()) {
                if (key.startsWith("itm_head.")) {
                    assertArrayEquals(before.get(key), after.get(key), 0f, key + " is not trained by ITC");
                } else {
                    assertFalse(Arrays.equals(before.get(key), after.get(key)), key + " should have learnt");
                }
            }
            itc.save(saved);
            trainedImage = itc.model().embedImage(probe);
        }
        try (BlipFeatureExtractor reloaded = BlipFeatureExtractor.load(saved)) {
            assertArrayEquals(trainedImage.data(), reloaded.embedImage(probe).data(), 0f);
        }
    }

    @Test
    void should_score_retrieval_by_the_max_over_query_similarity_of_each_image_and_caption() {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 5L, 1);
        try (ContrastiveObjective itc = ContrastiveObjective.load(blip, TEMPERATURE)) {
            List<ImageText> all = pairs();
            int n = all.size();
            double[][] sim = similarities(itc, all); // (image, caption)
            int textHits = 0; // captions whose own image ranks first
            int imageHits = 0; // images whose own caption ranks first
            for (int j = 0; j < n; j++) {
                int bestImage = 0;
                int bestText = 0;
                for (int i = 1; i < n; i++) {
                    bestImage = sim[i][j] > sim[bestImage][j] ? i : bestImage;
                    bestText = sim[j][i] > sim[j][bestText] ? i : bestText;
                }
                textHits += bestImage == j ? 1 : 0;
                imageHits += bestText == j ? 1 : 0;
            }
            var result = itc.evaluate(all.stream().map(ImageText::image).toList(),
                    all.stream().map(ImageText::text).toList(), 1);
            assertEquals(textHits / (double) n, result.recall(1).textToImage(), 1e-12);
            assertEquals(imageHits / (double) n, result.recall(1).imageToText(), 1e-12);
            assertThrows(InvalidArgumentException.class,
                    () -> itc.evaluate(List.of(all.get(0).image()), List.of(), 1));
        }
        assertThrows(InvalidArgumentException.class, () -> ContrastiveObjective.load(blip, 0));
    }
}
