package org.vlalign.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.WeightFormat;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.TinyLlama;

class LoraAdapterTest {
    @TempDir
    Path tmp;

    @Test
    void should_compute_the_pefts_scaled_update_by_hand() {
        // r = 2, alpha = 8: scale 4. A (2 x 3), B (2 x 2): delta = 4 * B A
        float[] a = {1, 2, 3, 0, 1, 0};
        float[] b = {1, 0, 2, 1};
        Map<String, float[][]> pairs = Map.of("model.layers.0.self_attn.q_proj", new float[][] {a, b});
        LoraAdapter.write(tmp.resolve("ad"), LoraConfig.of(2, 8, "q_proj"), pairs,
                Map.of("model.layers.0.self_attn.q_proj", new int[] {2, 3}));
        LoraAdapter lora = LoraAdapter.load(tmp.resolve("ad"));
        assertEquals(4.0, lora.scale());
        // B A = [[1,2,3],[2,5,6]] -> times 4
        assertArrayEquals(new float[] {4, 8, 12, 8, 20, 24}, lora.delta("model.layers.0.self_attn.q_proj.weight").get());
        assertTrue(lora.delta("model.layers.0.self_attn.k_proj.weight").isEmpty());
    }

    @Test
    void should_merge_at_load_in_every_weight_format_like_merged_weights_written_to_disk() throws IOException {
        Path base = TinyLlama.builder().kvHeads(2).write(tmp.resolve("base"));
        int hidden = 32;
        int r = 4;
        java.util.Random rnd = new java.util.Random(3);
        Map<String, float[][]> pairs = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (String module : new String[] {"model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"}) {
            int out = hidden;
            int in = module.endsWith("down_proj") ? 48 : hidden;
            float[] a = new float[r * in];
            float[] b = new float[out * r];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextGaussian() * 0.1f;
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) rnd.nextGaussian() * 0.1f;
            }
            pairs.put(module, new float[][] {a, b});
            shapes.put(module, new int[] {out, in});
        }
        Path adapter = tmp.resolve("adapter");
        LoraAdapter.write(adapter, LoraConfig.of(r, 16, "q_proj", "down_proj"), pairs, shapes);
        // the same model with the update merged by hand, written as a checkpoint
        Path merged = Files.createDirectories(tmp.resolve("merged"));
        Files.copy(base.resolve("config.json"), merged.resolve("config.json"));
        LoraAdapter lora = LoraAdapter.load(adapter);
        SafetensorsWriter w = SafetensorsWriter.create();
        try (Checkpoint c = Checkpoint.open(base)) {
            for (String name : c.tensorNames()) {
                float[] v = c.loadFloats(name);
                float[] d = lora.delta(name).orElse(null);
                if (d != null) {
                    for (int i = 0; i < v.length; i++) {
                        v[i] += d[i];
                    }
                }
                w.addF32(name, v, c.info(name).shape());
            }
        }
        w.write(merged.resolve("model.safetensors"));
        DecoderInput prompt = DecoderInput.ofTokens(1, 7, 9, 30, 2, 11);
        for (WeightFormat f : new WeightFormat[] {WeightFormat.FP32, WeightFormat.Q8}) {
            try (Llama withAdapter = Llama.load(base, new LlmOptions(f, 1).withLora(adapter));
                    Llama byHand = Llama.load(merged, new LlmOptions(f, 1));
                    Llama plain = Llama.load(base, new LlmOptions(f, 1))) {
                float[][] a = withAdapter.logitsAtEveryPosition(prompt);
                float[][] b = byHand.logitsAtEveryPosition(prompt);
                float[][] p = plain.logitsAtEveryPosition(prompt);
                double changed = 0;
                for (int i = 0; i < a.length; i++) {
                    assertArrayEquals(b[i], a[i], 1e-4f, f + " position " + i);
                    for (int j = 0; j < a[i].length; j++) {
                        changed = Math.max(changed, Math.abs(a[i][j] - p[i][j]));
                    }
                }
                assertTrue(changed > 1e-2, f + ": the adapter must change the logits, max change " + changed);
            }
        }
    }

    @Test
    void should_refuse_an_adapter_for_another_model_and_non_lora_adapters() throws IOException {
        Path base = TinyLlama.builder().write(tmp.resolve("base"));
        LoraAdapter.write(tmp.resolve("other"), LoraConfig.of(1, 1, "q_proj"),
                Map.of("model.layers.9.self_attn.q_proj", new float[][] {new float[32], new float[32]}),
                Map.of("model.layers.9.self_attn.q_proj", new int[] {32, 32}));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Llama.load(base, new LlmOptions(WeightFormat.FP32, 1).withLora(tmp.resolve("other"))));
        assertTrue(e.getMessage().contains("model.layers.9.self_attn.q_proj"), e.getMessage());
        Path ia3 = Files.createDirectories(tmp.resolve("ia3"));
        Files.writeString(ia3.resolve(LoraAdapter.CONFIG_FILE), "{\"peft_type\": \"IA3\"}");
        assertThrows(UnsupportedModelException.class, () -> LoraAdapter.load(ia3));
        assertThrows(CheckpointException.class, () -> LoraAdapter.load(tmp.resolve("missing")));
    }
}
