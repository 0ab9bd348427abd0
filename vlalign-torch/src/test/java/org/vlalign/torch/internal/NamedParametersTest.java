package org.vlalign.torch.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.SafetensorsDtype;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.testing.TinyLlama;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;

class NamedParametersTest {

    @TempDir
    Path dir;

    private static NamedParameters three(NDManager m) {
        Map<String, NDArray> byKey = new LinkedHashMap<>();
        byKey.put("model.layers.0.self_attn.q_proj.weight", m.zeros(new ai.djl.ndarray.types.Shape(2, 2)));
        byKey.put("model.layers.1.self_attn.q_proj.weight", m.zeros(new ai.djl.ndarray.types.Shape(2, 2)));
        byKey.put("model.norm.weight", m.zeros(new ai.djl.ndarray.types.Shape(2)));
        return NamedParameters.of(byKey);
    }

    @Test
    void should_match_one_segment_with_a_star_and_many_with_two() {
        assertTrue(NamedParameters.glob("model.layers.*.self_attn.q_proj.weight")
                .test("model.layers.12.self_attn.q_proj.weight"));
        assertFalse(NamedParameters.glob("model.*.weight").test("model.layers.0.mlp.weight"));
        assertTrue(NamedParameters.glob("model.**.weight").test("model.layers.0.mlp.weight"));
        assertTrue(NamedParameters.glob("**").test("anything.at.all"));
        assertTrue(NamedParameters.glob("layer?.bias").test("layer1.bias"));
        assertFalse(NamedParameters.glob("layer?.bias").test("layer.1bias"));
        assertFalse(NamedParameters.glob("model.norm.weight").test("modelXnorm.weight"), "dots are literal");
        assertThrows(InvalidArgumentException.class, () -> NamedParameters.glob(""));
    }

    @Test
    void should_select_and_exclude_by_pattern_in_model_order() {
        try (NDManager m = NDManager.newBaseManager()) {
            NamedParameters p = three(m);
            assertEquals(List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.1.self_attn.q_proj.weight"),
                    p.select("model.layers.*.self_attn.*.weight").keys());
            assertEquals(List.of("model.layers.1.self_attn.q_proj.weight", "model.norm.weight"),
                    p.select("model.norm.*", "model.layers.1.**").keys());
            assertEquals(List.of("model.norm.weight"), p.exclude("model.layers.**").keys());
            assertEquals(p.keys(), p.exclude("lm_head.*").keys(), "excluding what is absent removes nothing");
            assertEquals(List.of("model.layers.0.self_attn.q_proj.weight"),
                    p.select(Pattern.compile("model\\.layers\\.0\\..*")).keys());
            assertSame(p.get("model.norm.weight"), p.select("model.norm.weight").get("model.norm.weight"));
            assertEquals(10, p.elementCount());
        }
    }

    @Test
    void should_name_the_pattern_that_matches_nothing_and_the_key_that_is_absent() {
        try (NDManager m = NDManager.newBaseManager()) {
            NamedParameters p = three(m);
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> p.select("model.layers.*.mlp.*"));
            assertTrue(e.getMessage().contains("model.layers.*.mlp.*"), e.getMessage());
            assertThrows(InvalidArgumentException.class, () -> p.select(Pattern.compile("lm_head.*")));
            InvalidArgumentException absent = assertThrows(InvalidArgumentException.class, () -> p.get("lm_head.weight"));
            assertTrue(absent.getMessage().contains("lm_head.weight"), absent.getMessage());
            assertThrows(UnsupportedOperationException.class, () -> p.asMap().clear(), "read-only");
        }
    }

    @Test
    void should_keep_a_shared_array_once_and_refuse_two_arrays_under_one_key() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray shared = m.zeros(new ai.djl.ndarray.types.Shape(3));
            NamedParameters a = NamedParameters.of(Map.of("embed.weight", shared));
            NamedParameters b = NamedParameters.of(Map.of("embed.weight", shared, "head.bias", m.zeros(
                    new ai.djl.ndarray.types.Shape(1))));
            assertEquals(List.of("embed.weight", "head.bias"),
                    NamedParameters.concat(a, b).keys().stream().sorted().toList());
            NamedParameters other = NamedParameters.of(Map.of("embed.weight", m.zeros(new ai.djl.ndarray.types.Shape(3))));
            assertThrows(InvalidArgumentException.class, () -> NamedParameters.concat(a, other));
        }
    }

    @Test
    void should_save_a_folder_that_reloads_to_the_current_values_and_keeps_what_the_model_does_not_hold()
            throws Exception {
        Path source = TinyLlama.builder().seed(7).write(dir.resolve("llama"));
        Files.writeString(source.resolve("tokenizer_config.json"), "{\"add_bos_token\": true}");
        // an extra tensor the model does not load, in another dtype: saving must keep it byte for byte
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (Checkpoint c = Checkpoint.open(source)) {
            for (String name : c.tensorNames()) {
                values.put(name, c.loadFloats(name));
                shapes.put(name, c.info(name).shape());
            }
        }
        SafetensorsWriter w = SafetensorsWriter.create();
        values.forEach((k, v) -> w.addF32(k, v, shapes.get(k)));
        w.addBf16("model.unused.weight", new float[] {0.5f, -2f, 3f}, 3);
        w.write(source.resolve("model.safetensors"));
        try (LlamaLanguageModel lm = LlamaLanguageModel.load(source)) {
            NamedParameters p = lm.parameters();
            assertFalse(p.contains("model.unused.weight"), "the model does not hold it");
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> p.select("model.unused.*"));
            assertTrue(e.getMessage().contains("model.unused.*"), e.getMessage());
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray norm = p.get("model.norm.weight");
                NdArrays.assign(norm, norm.mul(3f)); // in place: the model itself changes
            }
            Path saved = p.saveAsFolder(source, dir.resolve("saved"));
            assertTrue(Files.isRegularFile(saved.resolve("tokenizer_config.json")));
            try (Checkpoint c = Checkpoint.open(saved); LlamaLanguageModel reloaded = LlamaLanguageModel.load(saved)) {
                float[] original = values.get("model.norm.weight");
                float[] stored = c.loadFloats("model.norm.weight");
                for (int i = 0; i < original.length; i++) {
                    assertEquals(original[i] * 3f, stored[i], 0f);
                }
                assertEquals(SafetensorsDtype.BF16, c.info("model.unused.weight").type());
                assertArrayEquals(new float[] {0.5f, -2f, 3f}, c.loadFloats("model.unused.weight"));
                assertEquals(values.keySet().size() + 1, c.tensorNames().size());
                for (Map.Entry<String, float[]> e2 : reloaded.parameters().values().entrySet()) {
                    assertArrayEquals(p.get(e2.getKey()).toFloatArray(), e2.getValue(), 0f, e2.getKey());
                }
            }
            assertThrows(InvalidArgumentException.class, () -> p.saveAsFolder(source, source));
        }
    }
}
