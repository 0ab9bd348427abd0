package org.vlalign.model.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;
import org.vlalign.train.ContextAnswer;
import org.vlalign.train.LanguageModelObjective;
import org.vlalign.train.Objective;
import org.vlalign.train.TrainingLoop;

/** The recipe's stage 2 on world texts: next-token pre-training of a random Llama. */
class LanguageModelPretrainingTest {
    @TempDir
    Path dir;

    @Test
    void should_halve_the_next_token_loss_and_save_a_folder_that_reloads_to_the_same_logits() {
        World world = World.builder().seed(5).maxShapes(3).build();
        List<String> corpus = WorldData.corpus(world, Split.TRAIN, 0, 60);
        Path init = RandomCheckpoints.writeLlama(dir.resolve("init"), RandomCheckpoints.LlamaSpec.tiny(), 9);
        TrainOptions options = TrainOptions.of(80, 16, 3e-3, 1);
        try (LanguageModelObjective objective = LanguageModelObjective.load(init);
                TrainingLoop<String> trainer = TrainingLoop.create(objective, options.config())) {
            List<String> probe = corpus.subList(0, 48);
            double before = trainer.meanLoss(probe);
            long t0 = System.nanoTime();
            trainer.train(options.order(corpus, (text, random) -> text));
            double seconds = (System.nanoTime() - t0) / 1e9;
            double after = trainer.meanLoss(probe);
            System.out.printf("LM: %d texts, loss %.3f -> %.3f in %.1f s%n", corpus.size(), before, after, seconds);
            assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);

            Path saved = objective.save(dir.resolve("trained"));
            float[] inMemory = logits(objective.model(), "how many shapes are there ?");
            try (LlamaLanguageModel reloaded = LlamaLanguageModel.load(saved);
                    LlamaLanguageModel initial = LlamaLanguageModel.load(init)) {
                float[] fromDisk = logits(reloaded, "how many shapes are there ?");
                assertArrayEquals(inMemory, fromDisk, 1e-5f);
                float[] untrained = logits(initial, "how many shapes are there ?");
                assertFalse(Arrays.equals(untrained, fromDisk), "training changed nothing");
            }
        }
    }

    @Test
    void should_lower_the_answer_weighted_loss_through_the_reading_drills_and_the_question_turns() {
        World world = World.builder().seed(5).maxShapes(3).build();
        List<ContextAnswer> drills = WorldData.readingDrills(world, Split.TRAIN, 0, 60, 12, false, false);
        List<ContextAnswer> corpus = DefaultModelRecipe.languageModelCorpus(world, 60, 8);
        List<ContextAnswer> probe = WorldData.weightedCorpus(world, Split.TEST, 0, 8);
        Path init = RandomCheckpoints.writeLlama(dir.resolve("init"), RandomCheckpoints.LlamaSpec.tiny(), 9);
        try (LanguageModelObjective objective = LanguageModelObjective.load(init)) {
            Objective<ContextAnswer> weighted = objective.answerWeighted(0.1);
            double before;
            TrainOptions drillOptions = TrainOptions.of(30, 16, 3e-3, 1);
            try (TrainingLoop<ContextAnswer> trainer = TrainingLoop.create(weighted, drillOptions.config())) {
                before = trainer.meanLoss(probe);
                trainer.train(drillOptions.order(drills, (text, random) -> text));
            }
            TrainOptions full = TrainOptions.of(50, 16, 3e-3, 2);
            try (TrainingLoop<ContextAnswer> trainer = TrainingLoop.create(weighted, full.config())) {
                trainer.train(full.order(corpus, (text, random) -> text));
                double after = trainer.meanLoss(probe);
                System.out.printf("LM answer-weighted: held-out loss %.3f -> %.3f%n", before, after);
                assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
            }
        }
    }

    private static float[] logits(LlamaLanguageModel lm, String text) {
        LlamaModel model = lm.model();
        int[] body = lm.encode(text);
        long[] ids = new long[body.length + 1];
        ids[0] = model.config().bosTokenId();
        for (int i = 0; i < body.length; i++) {
            ids[i + 1] = body[i];
        }
        long[][] mask = new long[1][ids.length];
        Arrays.fill(mask[0], 1);
        try (NDManager call = model.manager().newSubManager()) {
            NDArray embeds = model.embedTokens(call, new long[][] {ids});
            return model.forward(embeds, mask, null, null);
        }
    }
}
