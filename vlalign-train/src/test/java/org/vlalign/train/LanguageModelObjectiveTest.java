package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.train.StreamOrder;
import org.vlalign.testing.TrainingFixtures;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;

class LanguageModelObjectiveTest {

    @TempDir
    Path dir;

    private static final List<String> TEXTS = List.of("a red cat sits on the mat", "two dog runs near the road",
            "the blue bird flies under a tree", "a car", "three small hat and a ball in the box",
            "what color is the big table");

    /** Every position's logits of {@code <s> text </s>} through the inference forward pass. */
    private static float[][] logits(LlamaLanguageModel lm, long[] ids) {
        LlamaModel model = lm.model();
        long[][] mask = new long[1][ids.length];
        Arrays.fill(mask[0], 1);
        try (NDManager call = model.manager().newSubManager()) {
            NDArray embeds = model.embedTokens(call, new long[][] {ids});
            float[] flat = model.forward(embeds, mask, null, null); // (1, len, vocab)
            int vocab = model.config().vocabSize();
            float[][] out = new float[ids.length][];
            for (int t = 0; t < ids.length; t++) {
                out[t] = Arrays.copyOfRange(flat, t * vocab, (t + 1) * vocab);
            }
            return out;
        }
    }

    /** {@code −log softmax(logits)[target]}. */
    private static double crossEntropy(float[] logits, int target) {
        return -ContrastiveObjectiveTest.logSoftmax(logits, 0, logits.length)[target];
    }

    private static long[] wrapped(LlamaLanguageModel lm, String text) {
        int[] body = lm.encode(text);
        long[] ids = new long[body.length + 2];
        ids[0] = TrainingFixtures.BOS;
        for (int i = 0; i < body.length; i++) {
            ids[i + 1] = body[i];
        }
        ids[ids.length - 1] = TrainingFixtures.EOS;
        return ids;
    }

    @Test
    void should_give_the_mean_cross_entropy_of_every_real_next_token() throws Exception {
        Path llama = TrainingFixtures.writeLlama(dir.resolve("llama"), 3L);
        try (LanguageModelObjective objective = LanguageModelObjective.load(llama);
                TrainingLoop<String> loop = TrainingLoop.create(objective,
                        TrainingConfig.builder().microBatchSize(2).build())) {
            LlamaLanguageModel lm = objective.model();
            double sum = 0;
            long tokens = 0;
            for (String text : TEXTS.subList(0, 3)) { // padded into micro-batches of 2 and 1 by meanLoss
                long[] ids = wrapped(lm, text);
                float[][] logits = logits(lm, ids);
                for (int t = 0; t + 1 < ids.length; t++) {
                    sum += crossEntropy(logits[t], (int) ids[t + 1]);
                    tokens++;
                }
                assertEquals(ids.length - 1, objective.weight(text));
            }
            assertEquals(sum / tokens, loop.meanLoss(TEXTS.subList(0, 3)), 1e-4);
        }
    }

    @Test
    void should_train_only_the_selected_weights_and_keep_the_frozen_ones_bit_identical() throws Exception {
        Path llama = TrainingFixtures.writeLlama(dir.resolve("llama"), 4L);
        try (LanguageModelObjective objective = LanguageModelObjective.load(llama)) {
            Map<String, float[]> before = objective.parameters().values();
            TrainingConfig config = TrainingConfig.builder().microBatchSize(3).schedule(step -> 1e-2)
                    .trainable("model.layers.1.**", "model.norm.weight").frozen("model.layers.1.mlp.**").build();
            try (TrainingLoop<String> loop = TrainingLoop.create(objective, config)) {
                assertEquals(List.of("model.layers.1.self_attn.q_proj.weight", "model.layers.1.self_attn.k_proj.weight",
                        "model.layers.1.self_attn.v_proj.weight", "model.layers.1.self_attn.o_proj.weight",
                        "model.layers.1.input_layernorm.weight", "model.layers.1.post_attention_layernorm.weight",
                        "model.norm.weight"), loop.trainable().keys());
                loop.train(StreamOrder.of(TEXTS, 3, 4, 1L, (text, random) -> text));
            }
            Map<String, float[]> after = objective.parameters().values();
            for (String key : before.keySet()) {
                boolean trained = (key.startsWith("model.layers.1.") && !key.contains(".mlp."))
                        || key.equals("model.norm.weight");
                if (trained) {
                    assertFalse(Arrays.equals(before.get(key), after.get(key)), key + " should have learnt");
                } else {
                    assertArrayEquals(before.get(key), after.get(key), 0f, key + " is frozen");
                }
            }
        }
    }

    @Test
    void should_lower_the_loss_and_save_a_folder_that_reloads_to_the_same_logits() throws Exception {
        Path llama = TrainingFixtures.writeLlama(dir.resolve("llama"), 5L);
        Path saved = dir.resolve("trained");
        float[][] inMemory;
        try (LanguageModelObjective objective = LanguageModelObjective.load(llama);
                TrainingLoop<String> loop = TrainingLoop.create(objective, TrainingConfig.builder().microBatchSize(3)
                        .schedule(step -> 3e-3).build())) {
            double before = loop.meanLoss(TEXTS);
            loop.train(StreamOrder.of(TEXTS, 3, 30, 2L, (text, random) -> text));
            double after = loop.meanLoss(TEXTS);
            assertTrue(after < 0.5 * before, "loss " + before + " -> " + after);
            objective.save(saved);
            inMemory = logits(objective.model(), wrapped(objective.model(), TEXTS.get(0)));
            assertThrows(InvalidArgumentException.class, () -> objective.save(llama), "never over the source");
        }
        assertTrue(Files.isRegularFile(saved.resolve("tokenizer.json")));
        try (LlamaLanguageModel reloaded = LlamaLanguageModel.load(saved);
                LlamaLanguageModel initial = LlamaLanguageModel.load(llama)) {
            float[][] fromDisk = logits(reloaded, wrapped(reloaded, TEXTS.get(0)));
            for (int t = 0; t < fromDisk.length; t++) {
                assertArrayEquals(inMemory[t], fromDisk[t], 0f, "position " + t);
            }
            assertFalse(Arrays.equals(logits(initial, wrapped(initial, TEXTS.get(0)))[1], fromDisk[1]),
                    "training changed the model");
        }
    }

    @Test
    void should_weigh_context_tokens_by_the_context_weight_and_answer_tokens_by_one() throws Exception {
        Path llama = TrainingFixtures.writeLlama(dir.resolve("llama"), 8L);
        List<ContextAnswer> items = List.of(new ContextAnswer("a red cat sits on the mat", "red"),
                new ContextAnswer("the blue bird flies under a tree", "blue bird"),
                ContextAnswer.contextOnly("two dog runs near the road"));
        double contextWeight = 0.25;
        try (LanguageModelObjective objective = LanguageModelObjective.load(llama)) {
            Objective<ContextAnswer> weighted = objective.answerWeighted(contextWeight);
            LlamaLanguageModel lm = objective.model();
            double sum = 0;
            double total = 0;
            for (ContextAnswer item : items) {
                int contextTokens = lm.encode(item.context()).length;
                long[] ids = wrapped(lm, (item.context() + " " + item.answer()).strip());
                float[][] logits = logits(lm, ids);
                double itemWeight = 0;
                for (int t = 0; t + 1 < ids.length; t++) {
                    boolean answer = t + 1 > contextTokens && !item.answer().isEmpty();
                    double w = answer ? 1 : contextWeight;
                    sum += w * crossEntropy(logits[t], (int) ids[t + 1]);
                    itemWeight += w;
                }
                assertEquals(itemWeight, weighted.weight(item), 1e-6, item.toString());
                total += itemWeight;
            }
            try (TrainingLoop<ContextAnswer> loop = TrainingLoop.create(weighted,
                    TrainingConfig.builder().microBatchSize(2).schedule(step -> 3e-3).build())) {
                assertEquals(sum / total, loop.meanLoss(items), 1e-4);
                loop.train(StreamOrder.of(items, 3, 30, 2L, (item, random) -> item));
                assertTrue(loop.meanLoss(items) < 0.5 * sum / total, "answer-weighted training lowers the loss");
            }
            assertThrows(InvalidArgumentException.class, () -> objective.answerWeighted(1.5));
        }
        assertThrows(InvalidArgumentException.class, () -> new ContextAnswer(" ", ""));
    }

    @Test
    void should_close_every_turns_answer_with_eos_and_weigh_questions_as_context() throws Exception {
        Path llama = TrainingFixtures.writeLlama(dir.resolve("llama"), 8L);
        ContextAnswer item = new ContextAnswer("a red cat sits on the mat what color is the cat", "red",
                List.of(new ContextAnswer("what is on the mat", "a cat"), new ContextAnswer("where is it", "mat")));
        double contextWeight = 0.25;
        try (LanguageModelObjective objective = LanguageModelObjective.load(llama)) {
            Objective<ContextAnswer> weighted = objective.answerWeighted(contextWeight);
            LlamaLanguageModel lm = objective.model();
            // <s> context answer </s> question answer </s> question answer </s>, built by hand
            List<Long> ids = new java.util.ArrayList<>(List.of((long) TrainingFixtures.BOS));
            List<Boolean> answer = new java.util.ArrayList<>(List.of(false));
            String[][] parts = {{item.context(), item.answer()}, {"what is on the mat", "a cat"},
                {"where is it", "mat"}};
            for (String[] part : parts) {
                for (int id : lm.encode(part[0])) {
                    ids.add((long) id);
                    answer.add(false);
                }
                for (int id : lm.encode(part[1])) {
                    ids.add((long) id);
                    answer.add(true);
                }
                ids.add((long) TrainingFixtures.EOS);
                answer.add(true);
            }
            long[] row = ids.stream().mapToLong(Long::longValue).toArray();
            float[][] logits = logits(lm, row);
            double sum = 0;
            double total = 0;
            for (int t = 0; t + 1 < row.length; t++) {
                double w = answer.get(t + 1) ? 1 : contextWeight;
                sum += w * crossEntropy(logits[t], (int) row[t + 1]);
                total += w;
            }
            assertEquals(total, weighted.weight(item), 1e-6);
            try (TrainingLoop<ContextAnswer> loop = TrainingLoop.create(weighted,
                    TrainingConfig.builder().microBatchSize(1).build())) {
                assertEquals(sum / total, loop.meanLoss(List.of(item)), 1e-4);
            }
        }
        assertThrows(InvalidArgumentException.class, () -> new ContextAnswer("q", "", List.of(
                new ContextAnswer("q2", "a2"))), "follow-ups come after an answer");
        assertThrows(InvalidArgumentException.class, () -> new ContextAnswer("q", "a", List.of(
                new ContextAnswer("q2", ""))), "a follow-up needs an answer");
    }

    @Test
    void should_refuse_a_folder_without_a_tokenizer() throws Exception {
        Path llama = TrainingFixtures.writeLlama(dir.resolve("llama"), 6L);
        Files.delete(llama.resolve("tokenizer.json"));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> LanguageModelObjective.load(llama));
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
    }
}
