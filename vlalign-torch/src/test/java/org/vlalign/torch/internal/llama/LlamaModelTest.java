package org.vlalign.torch.internal.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.vlalign.llm.LlamaConfig;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.testing.TinyLlama;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;

class LlamaModelTest {

    @TempDir
    Path tmp;

    static LlamaModel load(Path dir) {
        try (TorchCheckpoint c = TorchCheckpoint.open(dir)) {
            return LlamaModel.load(c, "", LlamaConfig.fromJson(c.config()));
        }
    }

    static long[][] randomIds(long seed, int rows, int cols, int vocab) {
        Random r = new Random(seed);
        long[][] ids = new long[rows][cols];
        for (long[] row : ids) {
            for (int j = 0; j < cols; j++) {
                row[j] = 1 + r.nextInt(vocab - 1);
            }
        }
        return ids;
    }

    static long[][] ones(int rows, int cols) {
        long[][] m = new long[rows][cols];
        for (long[] r : m) {
            Arrays.fill(r, 1);
        }
        return m;
    }

    static float[] logits(LlamaModel model, long[][] ids, long[][] mask, long[][] pos) {
        try (NDManager call = model.manager().newSubManager()) {
            return model.forward(model.embedTokens(call, ids), mask, pos, null);
        }
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max <= tol, what + ": max abs diff " + max + " > " + tol);
    }

    static float[] slice(float[] a, int from, int len) {
        return Arrays.copyOfRange(a, from, from + len);
    }

    @Test
    void should_give_same_logits_with_kv_cache_as_without() throws IOException {
        try (LlamaModel model = load(TinyLlama.builder().kvHeads(2).write(tmp.resolve("m")))) {
            int v = model.config().vocabSize();
            long[][] ids = randomIds(1, 2, 9, v);
            float[] full = logits(model, ids, ones(2, 9), null); // (2, 9, vocab)
            try (NDManager session = model.manager().newSubManager();
                    LlamaKvCache cache = new LlamaKvCache(session, model.config().numHiddenLayers())) {
                long[][] first = {Arrays.copyOf(ids[0], 5), Arrays.copyOf(ids[1], 5)};
                float[] pre = model.forward(model.embedTokens(session, first), ones(2, 5), null, cache);
                for (int r = 0; r < 2; r++) {
                    assertClose(slice(full, (r * 9 + 4) * v, v), slice(pre, (r * 5 + 4) * v, v), 1e-4, "prefill row " + r);
                }
                for (int t = 5; t < 9; t++) {
                    long[][] step = {{ids[0][t]}, {ids[1][t]}};
                    float[] out = model.forward(model.embedTokens(session, step), ones(2, 1), null, cache);
                    for (int r = 0; r < 2; r++) {
                        assertClose(slice(full, (r * 9 + t) * v, v), slice(out, r * v, v), 1e-4, "step " + t + " row " + r);
                    }
                }
                assertEquals(9, cache.length());
            }
        }
    }

    @Test
    void should_give_same_logits_for_a_row_batched_with_left_padding_or_alone() throws IOException {
        try (LlamaModel model = load(TinyLlama.builder().write(tmp.resolve("m")))) {
            int v = model.config().vocabSize();
            long[][] ids = randomIds(2, 2, 7, v);
            ids[1][0] = 0;
            ids[1][1] = 0;
            long[][] mask = ones(2, 7);
            mask[1][0] = 0;
            mask[1][1] = 0;
            float[] batched = logits(model, ids, mask, LlamaModel.generationPositions(null, mask));
            float[] alone = logits(model, new long[][] {Arrays.copyOfRange(ids[1], 2, 7)}, ones(1, 5), null);
            for (int j = 0; j < 5; j++) {
                assertClose(slice(alone, j * v, v), slice(batched, (7 + 2 + j) * v, v), 1e-4, "position " + j);
            }
            float[] row0 = logits(model, new long[][] {ids[0]}, ones(1, 7), null);
            assertClose(row0, slice(batched, 0, 7 * v), 1e-4, "unpadded row");
        }
    }

    @Test
    void should_match_a_multi_head_model_when_gqa_heads_are_duplicated() throws IOException {
        // A GQA model with kv heads {A, B} equals an MHA model whose kv heads are {A, A, B, B}
        // (repeat_interleave): build the MHA checkpoint from the GQA weights.
        Path gqaDir = TinyLlama.builder().kvHeads(2).write(tmp.resolve("gqa"));
        Path mhaDir = tmp.resolve("mha");
        TinyLlama mha = TinyLlama.builder().kvHeads(4);
        mha.write(mhaDir);
        SafetensorsWriter w = SafetensorsWriter.create();
        try (TorchCheckpoint g = TorchCheckpoint.open(gqaDir)) {
            for (String name : g.tensorNames()) {
                float[] v = g.loadFloats(name);
                long[] shape = g.info(name).shape();
                if (name.contains("k_proj") || name.contains("v_proj")) {
                    int headRows = 8 * (int) shape[1]; // headDim 8 rows per head
                    float[] dup = new float[v.length * 2];
                    for (int h = 0; h < 2; h++) {
                        for (int rep = 0; rep < 2; rep++) {
                            System.arraycopy(v, h * headRows, dup, (2 * h + rep) * headRows, headRows);
                        }
                    }
                    w.addF32(name, dup, shape[0] * 2, shape[1]);
                } else {
                    w.addF32(name, v, shape);
                }
            }
        }
        w.write(mhaDir.resolve("model.safetensors"));
        try (LlamaModel a = load(gqaDir); LlamaModel b = load(mhaDir)) {
            assertEquals(2, a.config().numKeyValueHeads());
            long[][] ids = randomIds(3, 1, 6, 64);
            assertClose(logits(b, ids, ones(1, 6), null), logits(a, ids, ones(1, 6), null), 1e-4, "gqa vs mha");
        }
    }

    @Test
    void should_use_embeddings_as_lm_head_when_tied() throws IOException {
        try (LlamaModel model = load(TinyLlama.builder().tied(true).write(tmp.resolve("t")))) {
            long[][] ids = randomIds(4, 1, 4, 64);
            try (NDManager call = model.manager().newSubManager()) {
                NDArray hidden = model.hiddenStates(model.embedTokens(call, ids), ones(1, 4), null, null);
                try (TorchCheckpoint c = TorchCheckpoint.open(tmp.resolve("t"))) {
                    NDArray embed = c.load("model.embed_tokens.weight", call, 64, 32);
                    float[] expected = hidden.matMul(embed.transpose()).toFloatArray();
                    assertClose(expected, model.logits(hidden).toFloatArray(), 1e-4, "tied head");
                }
            }
        }
    }

    @Test
    void should_throw_InvalidArgumentException_when_inputs_do_not_match_in_shape() throws IOException {
        try (LlamaModel model = load(TinyLlama.builder().write(tmp.resolve("shapes")))) {
            long[][] ids = randomIds(5, 2, 3, 64);
            try (NDManager call = model.manager().newSubManager()) {
                NDArray embeds = model.embedTokens(call, ids); // (2, 3, hidden)
                InvalidArgumentException rows = assertThrows(InvalidArgumentException.class,
                        () -> model.hiddenStates(embeds, ones(1, 3), null, null));
                assertTrue(rows.getMessage().contains("attentionMask must have 2 rows"), rows.getMessage());
                InvalidArgumentException cols = assertThrows(InvalidArgumentException.class,
                        () -> model.hiddenStates(embeds, ones(2, 4), null, null));
                assertTrue(cols.getMessage().contains("3 columns but one has 4"), cols.getMessage());
                InvalidArgumentException width = assertThrows(InvalidArgumentException.class,
                        () -> model.hiddenStates(call.zeros(new ai.djl.ndarray.types.Shape(2, 3, 5)), ones(2, 3),
                                null, null));
                assertTrue(width.getMessage().contains("inputsEmbeds must be (batch, seq, 32)"), width.getMessage());
            }
        }
    }

    @Test
    void should_fail_when_untied_model_has_no_lm_head() throws IOException {
        Path dir = TinyLlama.builder().omitLmHead().write(tmp.resolve("u"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> load(dir).close());
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("tie_word_embeddings"),
                e.getMessage());
    }

    @Test
    void should_fail_naming_tensor_and_shapes_when_weights_disagree_with_config() throws IOException {
        Path dir = TinyLlama.builder().write(tmp.resolve("m"));
        JsonObject cfg = TinyLlama.builder().config();
        cfg.addProperty("intermediate_size", 40);
        try (TorchCheckpoint c = TorchCheckpoint.open(dir)) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> LlamaModel.load(c, "", LlamaConfig.fromJson(cfg)).close());
            assertTrue(e.getMessage().contains("model.layers.0.mlp.gate_proj.weight")
                    && e.getMessage().contains("[48, 32]") && e.getMessage().contains("[40, 32]"), e.getMessage());
        }
    }

    @Test
    void should_fail_at_load_naming_unknown_rope_scaling_type() throws IOException {
        JsonObject rs = new JsonObject();
        rs.addProperty("rope_type", "longrope");
        Path dir = TinyLlama.builder().ropeScaling(rs).write(tmp.resolve("r"));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> load(dir).close());
        assertTrue(e.getMessage().contains("rope_scaling.type") && e.getMessage().contains("longrope"), e.getMessage());
    }

    @Test
    void should_load_weights_with_a_prefix_as_in_vlm_checkpoints() throws IOException {
        Path plain = TinyLlama.builder().bias(true).write(tmp.resolve("plain"));
        Path prefixed = tmp.resolve("prefixed");
        java.nio.file.Files.createDirectories(prefixed);
        SafetensorsWriter w = SafetensorsWriter.create();
        try (TorchCheckpoint c = TorchCheckpoint.open(plain)) {
            for (String name : c.tensorNames()) {
                w.addF32("language_model." + name, c.loadFloats(name), c.info(name).shape());
            }
        }
        w.write(prefixed.resolve("model.safetensors"));
        JsonObject cfg = TinyLlama.builder().bias(true).config();
        try (LlamaModel a = load(plain); TorchCheckpoint c = TorchCheckpoint.open(prefixed);
                LlamaModel b = LlamaModel.load(c, "language_model.", LlamaConfig.fromJson(cfg))) {
            long[][] ids = randomIds(5, 1, 5, 64);
            assertArrayEquals(logits(a, ids, ones(1, 5), null), logits(b, ids, ones(1, 5), null));
        }
    }

    @Test
    void should_round_trip_weights_through_safetensors_writer() throws IOException {
        Path dir = TinyLlama.builder().write(tmp.resolve("a"));
        Path copy = TinyLlama.builder().seed(99).write(tmp.resolve("b")); // other weights, replaced below
        try (TorchCheckpoint c = TorchCheckpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            java.util.Map<String, NDArray> arrays = new java.util.LinkedHashMap<>();
            for (String name : c.tensorNames()) {
                arrays.put(name, c.load(name, m));
            }
            org.vlalign.torch.internal.NdArrays.writeSafetensors(copy.resolve("model.safetensors"), arrays);
        }
        try (LlamaModel a = load(dir); LlamaModel b = load(copy)) {
            long[][] ids = randomIds(6, 2, 5, 64);
            assertArrayEquals(logits(a, ids, ones(2, 5), null), logits(b, ids, ones(2, 5), null));
        }
    }

    @Test
    void should_scale_rope_positions_linearly() throws IOException {
        // linear scaling by 2 at positions 2p equals plain RoPE at positions p
        Path plain = TinyLlama.builder().write(tmp.resolve("plain"));
        Path linear = TinyLlama.builder().ropeScaling("linear", 2.0).write(tmp.resolve("linear"));
        try (LlamaModel a = load(plain); LlamaModel b = load(linear)) {
            long[][] ids = randomIds(7, 1, 6, 64);
            long[][] pos = {{0, 1, 2, 3, 4, 5}};
            long[][] doubled = {{0, 2, 4, 6, 8, 10}};
            float[] expected = logits(a, ids, ones(1, 6), pos);
            assertClose(expected, logits(b, ids, ones(1, 6), doubled), 1e-4, "linear");
            float[] unscaled = logits(b, ids, ones(1, 6), pos);
            assertTrue(maxDiff(expected, unscaled) > 1e-3, "linear scaling must change logits at positions > 0");
        }
    }

    @Test
    void should_scale_all_frequencies_in_llama3_when_every_wavelength_is_long() throws IOException {
        // with original_max_position_embeddings = 1 every wavelength exceeds the low-frequency
        // wavelength, so llama3 scaling divides every frequency by the factor, like linear scaling
        Path l3 = TinyLlama.builder().llama3RopeScaling(4.0, 1).write(tmp.resolve("l3"));
        Path linear = TinyLlama.builder().ropeScaling("linear", 4.0).write(tmp.resolve("lin"));
        try (LlamaModel a = load(l3); LlamaModel b = load(linear)) {
            long[][] ids = randomIds(8, 1, 6, 64);
            assertClose(logits(b, ids, ones(1, 6), null), logits(a, ids, ones(1, 6), null), 1e-5, "llama3");
        }
        // with the Llama 3.1 settings the high frequencies stay untouched and the lowest are divided
        LlamaConfig cfg = LlamaConfig.fromJson(com.google.gson.JsonParser.parseString("{\"hidden_size\": 4096,"
                + " \"num_attention_heads\": 32, \"rope_theta\": 500000.0, \"rope_scaling\": {\"rope_type\": \"llama3\","
                + " \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
                + " \"original_max_position_embeddings\": 8192}}").getAsJsonObject());
        float[] scaled = new org.vlalign.llm.RopeFrequencies(cfg).invFreqFor(0);
        assertEquals(1.0f, scaled[0], 1e-7);
        double plainLowest = 1.0 / Math.pow(500000.0, 126.0 / 128);
        assertEquals(plainLowest / 8, scaled[63], plainLowest * 1e-5);
    }

    @Test
    void should_change_dynamic_rope_only_beyond_max_positions() throws IOException {
        Path plain = TinyLlama.builder().maxPos(8).write(tmp.resolve("plain"));
        Path dynamic = TinyLlama.builder().maxPos(8).ropeScaling("dynamic", 2.0).write(tmp.resolve("dyn"));
        try (LlamaModel a = load(plain); LlamaModel b = load(dynamic)) {
            long[][] shortIds = randomIds(9, 1, 8, 64);
            assertClose(logits(a, shortIds, ones(1, 8), null), logits(b, shortIds, ones(1, 8), null), 1e-6, "short");
            long[][] longIds = randomIds(9, 1, 12, 64);
            assertTrue(maxDiff(logits(a, longIds, ones(1, 12), null), logits(b, longIds, ones(1, 12), null)) > 1e-4,
                    "dynamic scaling must change logits once the sequence exceeds max_position_embeddings");
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
