package org.vlalign.torch.internal.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.llm.LoraAdapter;
import org.vlalign.llm.LoraConfig;
import org.vlalign.testing.TinyLlama;
import org.vlalign.torch.internal.NdArrays;

class LlamaLoraTest {
    @TempDir
    Path tmp;

    private static final long[][] IDS = {{1, 7, 9, 30, 2, 11, 5}};

    private static float[] logits(LlamaModel model) {
        try (NDManager call = model.manager().newSubManager()) {
            NDArray embeds = model.embedTokens(call, IDS);
            long[][] mask = new long[1][IDS[0].length];
            Arrays.fill(mask[0], 1);
            return model.forward(embeds, mask, null, null);
        }
    }

    @Test
    void should_add_the_scaled_low_rank_update_computed_by_hand() {
        try (NDManager m = NDManager.newBaseManager()) {
            // W (2, 3), A (2, 3), B (2, 2), alpha 8, r 2: scale 4
            NDArray w = NdArrays.floats(m, new float[] {1, 0, 2, 0, 1, -1}, 2, 3);
            LlamaLinear linear = new LlamaLinear("model.layers.0.self_attn.q_proj", w, null);
            linear.adapter(new LlamaLinear.Adapter(NdArrays.floats(m, new float[] {1, 2, 3, 0, 1, 0}, 2, 3),
                    NdArrays.floats(m, new float[] {1, 0, 2, 1}, 2, 2), NdArrays.scalar(m, 4f), 0f));
            NDArray x = NdArrays.floats(m, new float[] {1, 1, 2}, 1, 1, 3);
            // W x = (5, -1); A x = (9, 1); B A x = (9, 19); W x + 4 B A x = (41, 75)
            assertArrayEquals(new float[] {41, 75}, linear.forward(x).toFloatArray(), 1e-6f);
            linear.adapter(null);
            assertArrayEquals(new float[] {5, -1}, linear.forward(x).toFloatArray(), 1e-6f);
        }
    }

    @Test
    void should_compute_what_the_hand_merged_checkpoint_computes() throws IOException {
        Path base = TinyLlama.builder().kvHeads(2).write(tmp.resolve("base"));
        Random rnd = new Random(11);
        int r = 2;
        Map<String, float[][]> pairs = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        try (Checkpoint c = Checkpoint.open(base)) {
            for (String module : List.of("model.layers.0.self_attn.v_proj", "model.layers.1.mlp.up_proj")) {
                long[] s = c.info(module + ".weight").shape();
                float[] a = new float[r * (int) s[1]];
                float[] b = new float[(int) s[0] * r];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) rnd.nextGaussian() * 0.2f;
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) rnd.nextGaussian() * 0.2f;
                }
                pairs.put(module, new float[][] {a, b});
                shapes.put(module, new int[] {(int) s[0], (int) s[1]});
            }
        }
        LoraConfig config = LoraConfig.of(r, 6, "v_proj", "up_proj");
        Path adapter = tmp.resolve("adapter");
        LoraAdapter.write(adapter, config, pairs, shapes);
        // W + (alpha / r) B A by hand, written as a plain checkpoint
        Path merged = Files.createDirectories(tmp.resolve("merged"));
        Files.copy(base.resolve("config.json"), merged.resolve("config.json"));
        SafetensorsWriter w = SafetensorsWriter.create();
        try (Checkpoint c = Checkpoint.open(base)) {
            for (String name : c.tensorNames()) {
                float[] v = c.loadFloats(name);
                String module = name.substring(0, name.length() - ".weight".length());
                float[][] ab = pairs.get(module);
                if (ab != null) {
                    int out = shapes.get(module)[0];
                    int in = shapes.get(module)[1];
                    for (int o = 0; o < out; o++) {
                        for (int i = 0; i < in; i++) {
                            double d = 0;
                            for (int k = 0; k < r; k++) {
                                d += ab[1][o * r + k] * ab[0][k * in + i];
                            }
                            v[o * in + i] += (float) (3.0 * d);
                        }
                    }
                }
                w.addF32(name, v, c.info(name).shape());
            }
        }
        w.write(merged.resolve("model.safetensors"));
        try (LlamaModel model = LlamaModelTest.load(base); LlamaModel byHand = LlamaModelTest.load(merged)) {
            float[] plain = logits(model);
            try (LlamaLora lora = LlamaLora.load(model, adapter)) {
                assertEquals(List.of("model.layers.0.self_attn.v_proj", "model.layers.1.mlp.up_proj"), lora.modules());
                assertEquals(3.0, lora.config().scale());
                assertArrayEquals(logits(byHand), logits(model), 1e-4f);
                assertFalse(Arrays.equals(plain, logits(model)), "the adapter changes the logits");
            }
            assertArrayEquals(plain, logits(model), 0f, "closing the adapter restores the base model");
        }
    }

    @Test
    void should_save_in_the_peft_layout_and_load_back_the_same_matrices_and_logits() throws IOException {
        Path base = TinyLlama.builder().write(tmp.resolve("base"));
        Path saved = tmp.resolve("saved");
        LoraConfig config = new LoraConfig(4, 16, 0.25, List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                "up_proj", "down_proj"), false);
        float[] withAdapter;
        Map<String, float[]> values;
        try (LlamaModel model = LlamaModelTest.load(base)) {
            float[] plain = logits(model);
            try (LlamaLora lora = LlamaLora.attach(model, config, 5L)) {
                assertArrayEquals(plain, logits(model), 0f, "B starts at zero, so a new adapter changes nothing");
                assertEquals(2 * 7 * 2, lora.parameters().size(), "A and B for 7 projections in each of 2 layers");
                assertEquals(lora.parameters().keys(), model.parameters().select("**.lora_*.weight").keys());
                Random rnd = new Random(3);
                try (NDManager m = NDManager.newBaseManager()) {
                    for (String key : lora.parameters().select("**.lora_B.weight").keys()) {
                        NDArray b = lora.parameters().get(key);
                        float[] v = new float[(int) b.size()];
                        for (int i = 0; i < v.length; i++) {
                            v[i] = (float) rnd.nextGaussian() * 0.1f;
                        }
                        NdArrays.assign(b, NdArrays.floats(m, v, b.getShape().getShape()));
                    }
                }
                withAdapter = logits(model);
                assertArrayEquals(withAdapter, logits(model), 0f, "dropout never applies outside training");
                values = lora.parameters().values();
                lora.save(saved);
            }
        }
        JsonObject json = JsonParser.parseString(Files.readString(saved.resolve(LoraAdapter.CONFIG_FILE)))
                .getAsJsonObject();
        assertEquals("LORA", json.get("peft_type").getAsString());
        assertEquals(4, json.get("r").getAsInt());
        assertEquals(16.0, json.get("lora_alpha").getAsDouble());
        assertEquals(0.25, json.get("lora_dropout").getAsDouble());
        assertEquals(7, json.getAsJsonArray("target_modules").size());
        try (Checkpoint c = Checkpoint.openFile(saved.resolve(LoraAdapter.WEIGHTS_FILE))) {
            assertTrue(c.has("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
            assertTrue(c.has("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight"));
            assertArrayEquals(new long[] {4, 32}, c.info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
                    .shape());
        }
        try (LlamaModel model = LlamaModelTest.load(base); LlamaLora lora = LlamaLora.load(model, saved)) {
            assertEquals(config, lora.config());
            Map<String, float[]> reloaded = lora.parameters().values();
            assertEquals(values.keySet(), reloaded.keySet());
            values.forEach((k, v) -> assertArrayEquals(v, reloaded.get(k), 0f, k));
            assertArrayEquals(withAdapter, logits(model), 0f);
        }
    }

    @Test
    void should_refuse_unknown_modules_a_second_adapter_and_an_adapter_for_another_model() throws IOException {
        Path base = TinyLlama.builder().write(tmp.resolve("base"));
        try (LlamaModel model = LlamaModelTest.load(base)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> LlamaLora.attach(model, LoraConfig.of(2, 4, "qkv_proj"), 1L));
            assertTrue(e.getMessage().contains("qkv_proj") && e.getMessage().contains("q_proj"), e.getMessage());
            try (LlamaLora lora = LlamaLora.attach(model, LoraConfig.of(2, 4, "q_proj"), 1L)) {
                assertThrows(InvalidArgumentException.class,
                        () -> LlamaLora.attach(model, LoraConfig.of(2, 4, "v_proj"), 1L));
            }
            LoraAdapter.write(tmp.resolve("other"), LoraConfig.of(1, 1, "q_proj"),
                    Map.of("model.layers.9.self_attn.q_proj", new float[][] {new float[32], new float[32]}),
                    Map.of("model.layers.9.self_attn.q_proj", new int[] {32, 32}));
            CheckpointException c = assertThrows(CheckpointException.class,
                    () -> LlamaLora.load(model, tmp.resolve("other")));
            assertTrue(c.getMessage().contains("model.layers.9.self_attn.q_proj"), c.getMessage());
            assertTrue(model.lora().isEmpty(), "a failed load attaches nothing");
        }
        assertThrows(InvalidArgumentException.class, () -> new LoraConfig(0, 4, 0, List.of("q_proj"), false));
        assertThrows(InvalidArgumentException.class, () -> new LoraConfig(2, 4, 1.0, List.of("q_proj"), false));
    }
}
