package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.core.train.AnswerEvaluator;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.core.train.WarmupCosineSchedule;
import org.vlalign.testing.TinyBlip;
import org.vlalign.testing.TrainingFixtures;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;

/** The alignment stage end to end: image files → frozen BLIP-2 Q-Former features (cached) → linear adaptor → Llama. */
class BlipPipelineTrainingTest {

    @TempDir
    Path dir;

    private Path image(int seed) throws Exception {
        BufferedImage img = new BufferedImage(20, 18, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        Path file = dir.resolve("img" + seed + ".png");
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    private static final String[] CAPTIONS =
            {"a red cat on the mat", "two blue bird near the tree", "a big dog runs on the road"};

    /** One example per caption, each on its own random image (seeds from {@code firstSeed}). */
    private List<TrainingExample> captioned(int firstSeed) throws Exception {
        List<TrainingExample> data = new ArrayList<>();
        for (int i = 0; i < CAPTIONS.length; i++) {
            data.add(TrainingExample.caption(image(firstSeed + i), CAPTIONS[i]));
        }
        return data;
    }

    @Test
    void should_train_on_cached_blip_features_without_changing_the_extractor() throws Exception {
        Path blipDir = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_MODEL, 3L, 2);
        List<TrainingExample> data = captioned(0);
        Llama2ChatPromptWrapper wrapper = Llama2ChatPromptWrapper.create().withEosTokenId(TrainingFixtures.EOS);
        try (BlipFeatureExtractor blip = BlipFeatureExtractor.load(blipDir);
                TorchCheckpoint blipCkpt = TorchCheckpoint.open(blipDir);
                LlamaLanguageModel lm = LlamaLanguageModel.load(TrainingFixtures.writeLlama(dir.resolve("llama"), 7L))) {
            Features firstBefore = blip.extract(ImageInput.of(data.get(0).image()));
            FeatureCache cache = new FeatureCache(dir.resolve("cache"), blip, blipCkpt.fingerprint());
            cache.precompute(data);
            assertEquals(3, cache.computedCount());
            int width = cache.features(data.get(0)).cols();
            try (TrainableAdaptor adaptor = TrainableAdaptor.linear(width, lm.hiddenSize(), 1L);
                    TrainingLoop<TrainingExample> trainer = TrainingLoop.create(
                            AdaptorObjective.create(lm, wrapper, adaptor, cache),
                            TrainingConfig.builder().epochs(150).microBatchSize(3).seed(5L).maxGradNorm(1.0)
                                    .schedule((perEpoch, total) -> new org.vlalign.core.train.WarmupCosineSchedule(
                                            1e-3, 3e-2, 5, total, 1e-2))
                                    .checkpointDir(dir.resolve("run")).lossLog(dir.resolve("run/loss.jsonl"))
                                    .build())) {
                double before = trainer.meanLoss(data);
                TrainingResult r = trainer.train(data);
                double after = trainer.meanLoss(data);
                assertTrue(r.completed());
                assertTrue(after < 0.3 * before, "loss " + before + " -> " + after);
                assertEquals(3, cache.computedCount(), "epochs never re-run the vision side");
                AnswerEvaluator.Report report = AnswerEvaluator.evaluate(data, AnswerEvaluator.predictor(cache, adaptor,
                        wrapper, lm, GenerationConfig.builder().maxNewTokens(10).build()));
                assertEquals(3, report.items());
                // each image's own caption comes back: the adaptor reads the frozen features
                assertEquals(1.0, report.exactMatch(), "predictions " + report.predictions());
                assertEquals(Arrays.asList(CAPTIONS), report.predictions());
            }
            // the extractor is frozen: its output is bit-identical after training
            assertEquals(firstBefore, blip.extract(ImageInput.of(data.get(0).image())));
        }
    }

    @Test
    void should_train_the_query_path_beside_the_adaptor_and_leave_the_vision_tower_alone() throws Exception {
        Path blipDir = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_MODEL, 3L, 2);
        List<TrainingExample> data = captioned(10);
        Llama2ChatPromptWrapper wrapper = Llama2ChatPromptWrapper.create().withEosTokenId(TrainingFixtures.EOS);
        try (BlipFeatureExtractor blip = BlipFeatureExtractor.load(blipDir);
                LlamaLanguageModel lm = LlamaLanguageModel.load(TrainingFixtures.writeLlama(dir.resolve("llama"), 7L));
                TrainableAdaptor adaptor = TrainableAdaptor.linear(blip.featureWidth(), lm.hiddenSize(), 1L)) {
            Map<String, float[]> before = blip.parameters().values();
            Features firstBefore = blip.extract(ImageInput.of(data.get(0).image()));
            AdaptorObjective objective = AdaptorObjective.trainingQueries(lm, wrapper, adaptor, blip);
            try (TrainingLoop<TrainingExample> trainer = TrainingLoop.create(objective,
                    TrainingConfig.builder().epochs(40).microBatchSize(3).seed(5L).maxGradNorm(1.0)
                            .schedule((perEpoch, total) -> new WarmupCosineSchedule(
                                    1e-3, 1e-2, 5, total, 1e-2)).build())) {
                double lossBefore = trainer.meanLoss(data);
                assertTrue(trainer.train(data).completed());
                double lossAfter = trainer.meanLoss(data);
                assertTrue(lossAfter < 0.5 * lossBefore, "loss " + lossBefore + " -> " + lossAfter);
            }
            Map<String, float[]> after = blip.parameters().values();
            Predicate<String> queryPath = k -> AdaptorObjective.QUERY_PATH.stream()
                    .anyMatch(g -> NamedParameters.glob(g).test(k));
            int changed = 0;
            for (String key : before.keySet()) {
                boolean same = Arrays.equals(before.get(key), after.get(key));
                if (!queryPath.test(key)) {
                    assertTrue(same, key + " is outside the query path but changed");
                } else if (!same) {
                    changed++;
                }
            }
            assertTrue(changed > 0 && before.containsKey("vision_model.embeddings.class_embedding"),
                    "query-path tensors changed: " + changed);
            Features firstAfter = blip.extract(ImageInput.of(data.get(0).image()));
            assertNotEquals(firstBefore, firstAfter, "the features follow the trained Q-Former");
            // what saveExtractor writes is the trained extractor
            Path saved = objective.saveExtractor(blipDir, dir.resolve("tuned"));
            try (BlipFeatureExtractor reloaded = BlipFeatureExtractor.load(saved)) {
                assertEquals(firstAfter, reloaded.extract(ImageInput.of(data.get(0).image())));
            }
        }
    }

    @Test
    void should_refuse_a_query_objective_whose_adaptor_does_not_fit_the_q_former() throws Exception {
        Path blipDir = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_MODEL, 3L, 2);
        try (BlipFeatureExtractor blip = BlipFeatureExtractor.load(blipDir);
                LlamaLanguageModel lm = LlamaLanguageModel.load(TrainingFixtures.writeLlama(dir.resolve("llama"), 7L));
                TrainableAdaptor adaptor = TrainableAdaptor.linear(blip.featureWidth() + 1, lm.hiddenSize(), 1L)) {
            InvalidArgumentException e = assertThrows(
                    InvalidArgumentException.class, () -> AdaptorObjective.trainingQueries(lm,
                            Llama2ChatPromptWrapper.create(), adaptor, blip));
            assertTrue(e.getMessage().contains("inputDim " + blip.featureWidth()), e.getMessage());
        }
    }
}
