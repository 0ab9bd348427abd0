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
    void should_put_the_pairs_hard_negatives_beside_the_batch_texts_when_an_image_picks_its_text() {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 3L, 1);
        List<ImageText> plain = pairs().subList(0, 3);
        List<ImageText> batch = List.of(
                new ImageText(plain.get(0).image(), plain.get(0).text(), "a blue cat on the table"),
                plain.get(1),
                new ImageText(plain.get(2).image(), plain.get(2).text(), "the red sky"));
        ContrastiveObjective.Losses withNegatives = ContrastiveObjective.Losses.CONTRASTIVE_ONLY
                .withContrastHardNegatives(true);
        try (ContrastiveObjective itc = ContrastiveObjective.load(blip, TEMPERATURE, withNegatives);
                TrainingLoop<ImageText> loop = TrainingLoop.create(itc, TrainingConfig.builder().microBatchSize(3)
                        .build());
                ContrastiveObjective without = ContrastiveObjective.load(blip, TEMPERATURE);
                TrainingLoop<ImageText> plainLoop = TrainingLoop.create(without, TrainingConfig.builder()
                        .microBatchSize(3).build())) {
            int b = batch.size();
            List<ImageText> columns = new ArrayList<>(batch);
            columns.add(new ImageText(batch.get(0).image(), "a blue cat on the table"));
            columns.add(new ImageText(batch.get(2).image(), "the red sky"));
            double[][] sim = similarities(itc, columns); // images beyond b are unused
            double sum = 0;
            for (int i = 0; i < b; i++) {
                double row = 0; // image i against the 3 texts and the 2 hard negatives
                double col = 0; // text i against the 3 images only
                for (int j = 0; j < columns.size(); j++) {
                    row += Math.exp(sim[i][j] / TEMPERATURE);
                }
                for (int j = 0; j < b; j++) {
                    col += Math.exp(sim[j][i] / TEMPERATURE);
                }
                double own = sim[i][i] / TEMPERATURE;
                sum += (-(own - Math.log(row)) - (own - Math.log(col))) / 2;
            }
            assertEquals(sum / b, loop.meanLoss(batch), 1e-4);
            assertTrue(loop.meanLoss(batch) > plainLoop.meanLoss(batch), "the negatives only add to the softmax");
            assertEquals(plainLoop.meanLoss(plain), loop.meanLoss(plain), 1e-6, "pairs without negatives: plain ITC");
            int wins = 0;
            for (int i : new int[] {0, 2}) {
                wins += sim[i][i] > sim[i][i == 0 ? 3 : 4] ? 1 : 0;
            }
            assertEquals(wins / 2.0, itc.hardNegativeAccuracy(batch), 1e-12);
            assertTrue(Double.isNaN(itc.hardNegativeAccuracy(plain)), "no pair has a hard negative");
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

    /** The log-softmax of {@code n} logits from {@code row[from]}, in double precision: the reference of the losses. */
    static double[] logSoftmax(float[] row, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            max = Math.max(max, row[from + j]);
        }
        double z = 0;
        for (int j = 0; j < n; j++) {
            z += Math.exp(row[from + j] - max);
        }
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            out[j] = row[from + j] - max - Math.log(z);
        }
        return out;
    }

    private static long[][] ones(long[] ids) {
        long[][] m = new long[1][ids.length];
        Arrays.fill(m[0], 1);
        return m;
    }

    @Test
    void should_add_blip2s_matching_and_captioning_losses_computed_from_the_public_heads() {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 6L, 1);
        List<ImageText> batch = new ArrayList<>(pairs().subList(0, 3));
        batch.set(0, new ImageText(batch.get(0).image(), batch.get(0).text(), "a blue cat on the table"));
        double itcOnly;
        try (ContrastiveObjective itc = ContrastiveObjective.load(blip, TEMPERATURE);
                TrainingLoop<ImageText> loop = TrainingLoop.create(itc, TrainingConfig.builder().microBatchSize(3)
                        .build())) {
            itcOnly = loop.meanLoss(batch);
        }
        try (ContrastiveObjective all = ContrastiveObjective.load(blip, TEMPERATURE, ContrastiveObjective.Losses.BLIP2);
                TrainingLoop<ImageText> loop = TrainingLoop.create(all, TrainingConfig.builder().microBatchSize(3)
                        .build());
                ai.djl.huggingface.tokenizers.HuggingFaceTokenizer tok = BlipFeatureExtractor.tokenizerFor(blip,
                        all.model().config());
                ai.djl.ndarray.NDManager call = all.model().newCallManager()) {
            assertEquals("blip2-itc-itm-itg", all.name());
            BlipFeatureExtractor m = all.model();
            double[][] sim = similarities(all, batch);
            ai.djl.ndarray.NDArray vision = m.visionStates(call, m.pixelValues(call,
                    batch.stream().map(ImageText::image).toList()));
            double itm = 0;
            double itg = 0;
            for (int i = 0; i < 3; i++) {
                int hardText = -1;
                int hardImage = -1;
                for (int j = 0; j < 3; j++) {
                    if (j != i && (hardText < 0 || sim[i][j] > sim[i][hardText])) {
                        hardText = j;
                    }
                    if (j != i && (hardImage < 0 || sim[j][i] > sim[hardImage][i])) {
                        hardImage = j;
                    }
                }
                String negative = batch.get(i).hardNegative() != null ? batch.get(i).hardNegative()
                        : batch.get(hardText).text();
                long[] own = tok.encode(batch.get(i).text()).getIds();
                long[] neg = tok.encode(negative).getIds();
                double pairItm = 0;
                pairItm -= logSoftmax(m.itmLogits(call, vision.get(i + ":" + (i + 1)), new long[][] {own}, ones(own))
                        .toFloatArray(), 0, 2)[1];
                pairItm -= logSoftmax(m.itmLogits(call, vision.get(i + ":" + (i + 1)), new long[][] {neg}, ones(neg))
                        .toFloatArray(), 0, 2)[0];
                pairItm -= logSoftmax(m.itmLogits(call, vision.get(hardImage + ":" + (hardImage + 1)),
                        new long[][] {own}, ones(own)).toFloatArray(), 0, 2)[0];
                itm += pairItm / 3;
                float[] logits = m.captionLogits(call, vision.get(i + ":" + (i + 1)), new long[][] {own}, ones(own))
                        .toFloatArray(); // (1, length, vocab)
                int vocab = logits.length / own.length;
                double pairItg = 0;
                for (int t = 0; t + 1 < own.length; t++) {
                    pairItg -= logSoftmax(logits, t * vocab, vocab)[(int) own[t + 1]];
                }
                itg += pairItg / (own.length - 1);
            }
            assertEquals(itcOnly + itm / 3 + itg / 3, loop.meanLoss(batch), 1e-4);
        }
    }

    @Test
    void should_give_each_words_captioning_loss_as_the_head_scores_that_text_alone() {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 9L, 1);
        List<ImageText> batch = pairs().subList(0, 3); // texts of three lengths: the batch is padded
        try (ContrastiveObjective all = ContrastiveObjective.load(blip, TEMPERATURE, ContrastiveObjective.Losses.BLIP2);
                ai.djl.huggingface.tokenizers.HuggingFaceTokenizer tok = BlipFeatureExtractor.tokenizerFor(blip,
                        all.model().config());
                ai.djl.ndarray.NDManager call = all.model().newCallManager()) {
            List<List<ContrastiveObjective.WordLoss>> words = all.captionWordLosses(
                    batch.stream().map(ImageText::image).toList(), batch.stream().map(ImageText::text).toList());
            assertEquals(3, words.size());
            BlipFeatureExtractor m = all.model();
            for (int i = 0; i < 3; i++) {
                long[] own = tok.encode(batch.get(i).text()).getIds();
                ai.djl.ndarray.NDArray vision = m.visionStates(call, m.pixelValues(call,
                        List.of(batch.get(i).image())));
                float[] logits = m.captionLogits(call, vision, new long[][] {own}, ones(own)).toFloatArray();
                int vocab = logits.length / own.length;
                assertEquals(own.length - 1, words.get(i).size());
                for (int t = 0; t + 1 < own.length; t++) {
                    ContrastiveObjective.WordLoss w = words.get(i).get(t);
                    assertEquals(tok.decode(new long[] {own[t + 1]}), w.word());
                    assertEquals(-logSoftmax(logits, t * vocab, vocab)[(int) own[t + 1]], w.loss(), 1e-4);
                }
            }
            assertEquals(List.of("red", "cat", "on", "the", "table"), words.get(0).stream().skip(1)
                    .map(ContrastiveObjective.WordLoss::word).toList().subList(0, 5));
            assertThrows(InvalidArgumentException.class, () -> all.captionWordLosses(
                    List.of(batch.get(0).image()), List.of("a", "b")));
        }
    }

    @Test
    void should_let_queries_ignore_the_text_and_each_text_position_see_only_the_past_when_captioning() {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 7L, 1);
        try (BlipFeatureExtractor m = BlipFeatureExtractor.load(blip);
                ai.djl.ndarray.NDManager call = m.newCallManager()) {
            ai.djl.ndarray.NDArray vision = m.visionStates(call, m.pixelValues(call, List.of(pairs().get(0).image())));
            int q = m.config().numQueryTokens();
            long[] a = {5, 9, 12, 7};
            long[] b = {5, 9, 30, 2};
            float[] queriesAlone = m.qformerOutput(call, vision, null, null).toFloatArray();
            float[] withA = m.qformer().forwardCaptioning(call, m.queryTokens(call, 1), new long[][] {a}, ones(a),
                    vision).toFloatArray();
            float[] withB = m.qformer().forwardCaptioning(call, m.queryTokens(call, 1), new long[][] {b}, ones(b),
                    vision).toFloatArray();
            int hidden = queriesAlone.length / q;
            assertArrayEquals(queriesAlone, Arrays.copyOf(withA, q * hidden), 1e-5f, "queries never read the text");
            // positions 0 and 1 are equal in both texts: their outputs cannot depend on positions 2 and 3
            assertArrayEquals(Arrays.copyOfRange(withA, q * hidden, (q + 2) * hidden),
                    Arrays.copyOfRange(withB, q * hidden, (q + 2) * hidden), 1e-5f);
            assertFalse(Arrays.equals(Arrays.copyOfRange(withA, (q + 2) * hidden, (q + 3) * hidden),
                    Arrays.copyOfRange(withB, (q + 2) * hidden, (q + 3) * hidden)));
        }
    }

    @Test
    void should_lower_the_three_losses_together_and_train_the_matching_head() {
        Path blip = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 8L, 1);
        List<ImageText> data = new ArrayList<>(pairs());
        data.set(1, new ImageText(data.get(1).image(), data.get(1).text(), "two cat in the house"));
        try (ContrastiveObjective all = ContrastiveObjective.load(blip, TEMPERATURE, ContrastiveObjective.Losses.BLIP2);
                TrainingLoop<ImageText> loop = TrainingLoop.create(all, TrainingConfig.builder().microBatchSize(4)
                        .schedule(step -> 3e-3).build())) {
            assertTrue(loop.trainable().keys().stream().anyMatch(k -> k.startsWith("itm_head.")));
            double before = loop.meanLoss(data);
            loop.train(StreamOrder.of(data, 4, 25, 3L, (pair, random) -> pair));
            double after = loop.meanLoss(data);
            assertTrue(after < 0.7 * before, "ITC + ITM + ITG " + before + " -> " + after);
        }
        assertThrows(InvalidArgumentException.class, () -> new ContrastiveObjective.Losses(-1, 0));
        assertThrows(InvalidArgumentException.class, () -> new ImageText(pairs().get(0).image(), "a", "a"));
    }
}
