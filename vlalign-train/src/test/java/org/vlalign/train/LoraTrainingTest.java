package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.vlalign.testing.TrainingFixtures;
import org.vlalign.WeightFormat;
import org.vlalign.core.train.StreamOrder;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlmOptions;
import org.vlalign.llm.LoraAdapter;
import org.vlalign.llm.LoraConfig;
import org.vlalign.spi.DecoderInput;
import org.vlalign.torch.internal.llama.LlamaLora;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * LoRA adapters train through the one loop like any other parameters, leave the base weights alone, and the
 * saved adapter merged by the JVM engine at load computes what the torch model computes with it unmerged.
 */
class LoraTrainingTest {
    @TempDir
    Path dir;

    private static final List<String> TEXTS = List.of("a red cat sits on the mat", "two dog runs near the road",
            "the blue bird flies under a tree", "a car", "three small hat and a ball in the box",
            "what color is the big table");

    @Test
    void should_lower_the_loss_train_only_the_adapter_and_match_the_jvm_engines_merged_weights() throws Exception {
        Path llama = TrainingFixtures.writeLlama(dir.resolve("llama"), 9L);
        Path adapter = dir.resolve("adapter");
        LoraConfig config = new LoraConfig(4, 8, 0.1, List.copyOf(LoraAdapter.LLAMA_MODULES), false);
        int[] prompt = {TrainingFixtures.BOS, 5, 9, 14, 22, 3, 17};
        float[] torchLogits;
        try (LanguageModelObjective objective = LanguageModelObjective.load(llama);
                LlamaLora lora = LlamaLora.attach(objective.model().model(), config, 3L)) {
            Map<String, float[]> base = objective.model().model().baseParameters().values();
            double before;
            double after;
            try (TrainingLoop<String> loop = TrainingLoop.create(objective, TrainingConfig.builder().microBatchSize(3)
                    .schedule(step -> 1e-2).trainable("**.lora_*.weight").build())) {
                assertEquals(lora.parameters().keys(), loop.trainable().keys(), "exactly the adapter's matrices");
                before = loop.meanLoss(TEXTS);
                loop.train(StreamOrder.of(TEXTS, 3, 40, 2L, (text, random) -> text));
                after = loop.meanLoss(TEXTS);
            }
            assertTrue(after < 0.6 * before, "LoRA training lowers the loss: " + before + " -> " + after);
            Map<String, float[]> now = objective.model().model().baseParameters().values();
            base.forEach((k, v) -> assertArrayEquals(v, now.get(k), 0f, k + " is not an adapter weight"));
            lora.save(adapter);
            torchLogits = logits(objective.model().model(), prompt);
        }
        assertTrue(Files.isRegularFile(adapter.resolve(LoraAdapter.CONFIG_FILE)));
        try (Llama merged = Llama.load(llama, new LlmOptions(WeightFormat.FP32, 1).withLora(adapter));
                Llama plain = Llama.load(llama, new LlmOptions(WeightFormat.FP32, 1))) {
            float[][] jvm = merged.logitsAtEveryPosition(DecoderInput.ofTokens(prompt));
            float[][] without = plain.logitsAtEveryPosition(DecoderInput.ofTokens(prompt));
            int vocab = jvm[0].length;
            double changed = 0;
            for (int t = 0; t < prompt.length; t++) {
                float[] row = Arrays.copyOfRange(torchLogits, t * vocab, (t + 1) * vocab);
                assertArrayEquals(row, jvm[t], 1e-4f, "position " + t);
                for (int j = 0; j < vocab; j++) {
                    changed = Math.max(changed, Math.abs(jvm[t][j] - without[t][j]));
                }
            }
            assertTrue(changed > 0.1, "the trained adapter changes the logits, by " + changed);
        }
    }

    private static float[] logits(LlamaModel model, int[] ids) {
        try (NDManager call = model.manager().newSubManager()) {
            NDArray embeds = model.embedTokens(call, ids);
            long[][] mask = new long[1][ids.length];
            Arrays.fill(mask[0], 1);
            return model.forward(embeds, mask, null, null);
        }
    }
}
