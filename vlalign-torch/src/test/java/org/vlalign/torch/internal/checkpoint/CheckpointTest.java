package org.vlalign.torch.internal.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.testing.RandomWeights;
import org.vlalign.testing.TinyLlama;

class CheckpointTest {

    @TempDir
    Path tmp;

    @Test
    void should_open_folder_with_config_and_weights() throws IOException {
        Path dir = TinyLlama.builder().write(tmp.resolve("m"));
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [2, 5]}");
        try (TorchCheckpoint c = TorchCheckpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            assertEquals(32, HfConfigs.requireInt(c.config(), "hidden_size"));
            assertTrue(c.generationConfig().isPresent());
            assertTrue(c.has("model.norm.weight"));
            NDArray norm = c.load("model.norm.weight", m, 32);
            assertEquals(DataType.FLOAT32, norm.getDataType());
            float[] expected = TinyLlama.builder().weights().values("model.norm.weight");
            assertArrayEquals(expected, norm.toFloatArray());
        }
    }

    @Test
    void should_load_sharded_checkpoint_like_single_file() throws IOException {
        Path single = TinyLlama.builder().write(tmp.resolve("single"));
        Path sharded = TinyLlama.builder().shards(3).write(tmp.resolve("sharded"));
        assertTrue(Files.exists(sharded.resolve("model-00003-of-00003.safetensors")));
        List<long[]> progress = new ArrayList<>();
        try (TorchCheckpoint a = TorchCheckpoint.open(single); TorchCheckpoint b = TorchCheckpoint.open(sharded);
                NDManager m = NDManager.newBaseManager()) {
            b.onProgress((name, done, total) -> progress.add(new long[] {done, total}));
            assertEquals(a.tensorNames(), b.tensorNames());
            for (String name : a.tensorNames()) {
                assertArrayEquals(a.load(name, m).toFloatArray(), b.load(name, m).toFloatArray(), name);
            }
            assertEquals(a.fingerprint(), b.fingerprint());
            assertEquals(a.tensorNames().size(), progress.size());
            long[] last = progress.get(progress.size() - 1);
            assertEquals(last[1], last[0], "all bytes reported when every tensor was loaded");
        }
    }

    @Test
    void should_fail_when_index_names_a_missing_shard() throws IOException {
        Path sharded = TinyLlama.builder().shards(2).write(tmp.resolve("s"));
        Files.delete(sharded.resolve("model-00002-of-00002.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(sharded));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
    }

    @Test
    void should_load_bf16_and_fp16_equal_to_fp32_within_rounding() throws IOException {
        Path f32 = TinyLlama.builder().write(tmp.resolve("f32"));
        Path bf16 = TinyLlama.builder().dtype(RandomWeights.Dtype.BF16).write(tmp.resolve("bf16"));
        Path f16 = TinyLlama.builder().dtype(RandomWeights.Dtype.F16).write(tmp.resolve("f16"));
        try (TorchCheckpoint a = TorchCheckpoint.open(f32); TorchCheckpoint b = TorchCheckpoint.open(bf16); TorchCheckpoint h = TorchCheckpoint.open(f16);
                NDManager m = NDManager.newBaseManager()) {
            assertEquals("BF16", b.info("lm_head.weight").dtype());
            for (String name : a.tensorNames()) {
                float[] x = a.load(name, m).toFloatArray();
                float[] y = b.load(name, m).toFloatArray();
                float[] z = h.load(name, m).toFloatArray();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(x[i], y[i], Math.abs(x[i]) * 0x1p-8, name + "[" + i + "] bf16");
                    assertEquals(x[i], z[i], Math.max(Math.abs(x[i]) * 0x1p-11, 0x1p-24), name + "[" + i + "] f16");
                }
            }
        }
    }

    @Test
    void should_name_tensor_file_and_both_shapes_when_shape_differs() throws IOException {
        Path dir = TinyLlama.builder().write(tmp.resolve("m"));
        try (TorchCheckpoint c = TorchCheckpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> c.load("model.layers.0.mlp.up_proj.weight", m, 64, 32));
            String msg = e.getMessage();
            assertTrue(msg.contains("model.layers.0.mlp.up_proj.weight") && msg.contains("[48, 32]")
                    && msg.contains("[64, 32]") && msg.contains("model.safetensors"), msg);
        }
    }

    @Test
    void should_list_similar_names_when_tensor_is_missing() throws IOException {
        Path dir = TinyLlama.builder().write(tmp.resolve("m"));
        try (TorchCheckpoint c = TorchCheckpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> c.load("language_model.model.norm.weight", m));
            assertTrue(e.getMessage().contains("model.norm.weight"), e.getMessage());
        }
    }

    @Test
    void should_fail_clearly_without_weights() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(dir.resolve("config.json"), "{}");
        Files.writeString(dir.resolve("pytorch_model.bin"), "x");
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("pytorch_model.bin") && e.getMessage().contains("model.safetensors"),
                e.getMessage());
    }

    @Test
    void should_fail_on_malformed_config() throws IOException {
        Path dir = TinyLlama.builder().write(tmp.resolve("m"));
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": ", StandardCharsets.UTF_8);
        CheckpointException e = assertThrows(CheckpointException.class, () -> TorchCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void should_keep_integer_types_with_load_raw() {
        Path p = tmp.resolve("ints.safetensors");
        SafetensorsWriter.create().addI64("ids", new long[] {3, -1, 7, 9}, 2, 2).write(p);
        try (TorchCheckpoint c = TorchCheckpoint.openFile(p); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = c.loadRaw("ids", m, 2, 2);
            assertEquals(DataType.INT64, ids.getDataType());
            assertArrayEquals(new long[] {3, -1, 7, 9}, ids.toLongArray());
            assertEquals(0, c.config().size());
            assertThrows(CheckpointException.class, () -> c.load("ids", m));
        }
    }

    @Test
    void should_change_fingerprint_with_config_but_not_key_order() throws IOException {
        Path a = TinyLlama.builder().write(tmp.resolve("a"));
        Path b = TinyLlama.builder().seed(7).write(tmp.resolve("b")); // other weights, same headers
        Path c = TinyLlama.builder().kvHeads(2).write(tmp.resolve("c"));
        String fa;
        try (TorchCheckpoint x = TorchCheckpoint.open(a); TorchCheckpoint y = TorchCheckpoint.open(b); TorchCheckpoint z = TorchCheckpoint.open(c)) {
            fa = x.fingerprint();
            assertEquals(16, fa.length());
            assertEquals(fa, y.fingerprint());
            assertNotEquals(fa, z.fingerprint());
        }
        // same config with keys in another order
        String cfg = Files.readString(a.resolve("config.json"));
        com.google.gson.JsonObject o = com.google.gson.JsonParser.parseString(cfg).getAsJsonObject();
        com.google.gson.JsonObject reversed = new com.google.gson.JsonObject();
        List<Map.Entry<String, com.google.gson.JsonElement>> entries = new ArrayList<>(o.entrySet());
        java.util.Collections.reverse(entries);
        entries.forEach(e -> reversed.add(e.getKey(), e.getValue()));
        Files.writeString(a.resolve("config.json"), reversed.toString());
        try (TorchCheckpoint x = TorchCheckpoint.open(a)) {
            assertEquals(fa, x.fingerprint());
            assertFalse(x.tensorNames().isEmpty());
        }
    }
    @Test
    void loadHalf_keeps_float16_and_records_it_unless_a_value_is_beyond_its_range() throws IOException {
        Path p = tmp.resolve("half.safetensors");
        SafetensorsWriter.create()
                .addF32("small", new float[] {1.5f, -0.25f, 1000f, 3.0e-3f}, 2, 2)
                .addF32("large", new float[] {1f, 70000f}, 2)
                .write(p);
        try (TorchCheckpoint c = TorchCheckpoint.openFile(p); NDManager m = NDManager.newBaseManager()) {
            int mark = c.loadedCount();
            NDArray small = c.loadHalf("small", m, 2, 2);
            NDArray large = c.loadHalf("large", m, 2);
            assertEquals(2, m.getManagedArrays().size(), "the float32 copy was freed: " + m.getManagedArrays());
            assertEquals(DataType.FLOAT16, small.getDataType());
            // 0.003 = 1572.86 steps of 2^-19 (float16's spacing in [2^-9, 2^-8)): 1573 steps = 0.0030002594
            try (NDArray wide = small.toType(DataType.FLOAT32, false)) {
                assertArrayEquals(new float[] {1.5f, -0.25f, 1000f, 0.0030002594f}, wide.toFloatArray());
            }
            assertEquals(DataType.FLOAT32, large.getDataType(), "70000 does not fit float16");
            assertArrayEquals(new float[] {1f, 70000f}, large.toFloatArray());
            Map<String, NDArray> recorded = c.loadedSince(mark).asMap();
            assertEquals(small, recorded.get("small"), "the named parameters hold the 16-bit array");
            assertEquals(large, recorded.get("large"));
        }
    }
}
