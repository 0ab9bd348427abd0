package org.vlalign.torch.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.testing.TinyBlip;
import org.vlalign.testing.TinyClip;
import org.vlalign.testing.TinyLlama;
import org.vlalign.torch.internal.adaptor.LinearAdaptor;
import org.vlalign.torch.internal.adaptor.MlpAdaptor;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.clip.ClipFeatureExtractor;
import org.vlalign.torch.internal.instructblip.InstructBlipModel;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;
import org.vlalign.torch.internal.llava.LlavaModels;
import org.vlalign.torch.internal.llava.LlavaParts;

/** Every model class names its weights by the exact keys of the checkpoint it loaded them from. */
class ParameterKeysTest {

    @TempDir
    Path dir;

    private static Set<String> tensorNames(Path folder) {
        try (Checkpoint c = Checkpoint.open(folder)) {
            return new TreeSet<>(c.tensorNames());
        }
    }

    /** Each parameter holds exactly the values stored under its key. */
    private static void assertHoldsStoredValues(Path folder, NamedParameters p) {
        try (Checkpoint c = Checkpoint.open(folder)) {
            for (Map.Entry<String, float[]> e : p.values().entrySet()) {
                assertArrayEquals(c.loadFloats(e.getKey()), e.getValue(), 0f, e.getKey());
                assertArrayEquals(c.info(e.getKey()).shape(), p.get(e.getKey()).getShape().getShape(), e.getKey());
            }
        }
    }

    @Test
    void should_name_every_llama_weight_by_its_key_with_an_untied_head() throws Exception {
        Path folder = TinyLlama.builder().seed(2).write(dir.resolve("llama"));
        try (LlamaLanguageModel lm = LlamaLanguageModel.load(folder)) {
            NamedParameters p = lm.parameters();
            assertEquals(tensorNames(folder), new TreeSet<>(p.keys()));
            assertTrue(p.contains("lm_head.weight"));
            assertEquals("model.embed_tokens.weight", p.keys().get(0), "model order: the embedding table first");
            assertEquals("model.layers.0.self_attn.q_proj.weight", p.keys().get(1));
            assertHoldsStoredValues(folder, p);
        }
    }

    @Test
    void should_list_a_tied_head_once_under_the_embedding_key() throws Exception {
        Path folder = TinyLlama.builder().seed(3).tied(true).omitLmHead().write(dir.resolve("tied"));
        try (LlamaLanguageModel lm = LlamaLanguageModel.load(folder)) {
            assertFalse(lm.parameters().contains("lm_head.weight"));
            assertEquals(tensorNames(folder), new TreeSet<>(lm.parameters().keys()));
        }
    }

    @Test
    void should_keep_the_prefix_of_a_llama_inside_a_larger_checkpoint() throws Exception {
        Path folder = TinyBlip.write(dir.resolve("ib"), TinyBlip.Kind.INSTRUCTBLIP, 4L, 1);
        try (TorchCheckpoint c = TorchCheckpoint.open(folder);
                InstructBlipModel model = InstructBlipModel.load(c)) {
            NamedParameters p = model.parameters();
            assertEquals(tensorNames(folder), new TreeSet<>(p.keys()));
            assertTrue(p.contains("language_model.model.layers.1.self_attn.q_proj.weight"));
            assertTrue(p.contains("language_projection.weight"));
            assertHoldsStoredValues(folder, p);
            Set<String> lm = new HashSet<>(p.select("language_model.**").keys());
            try (TorchCheckpoint again = TorchCheckpoint.open(folder);
                    LlamaModel alone = LlamaModel.load(again, InstructBlipModel.LANGUAGE_MODEL,
                            InstructBlipModel.textConfig(model.config()))) {
                assertEquals(lm, new HashSet<>(alone.parameters().keys()));
            }
        }
    }

    @Test
    void should_name_every_blip_retrieval_weight_including_the_matching_head() {
        Path folder = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 5L, 1);
        try (BlipFeatureExtractor blip = BlipFeatureExtractor.load(folder)) {
            NamedParameters p = blip.parameters();
            assertEquals(tensorNames(folder), new TreeSet<>(p.keys()));
            assertTrue(p.contains("itm_head.weight") && p.contains("query_tokens") && p.contains("text_projection.bias"));
            assertHoldsStoredValues(folder, p);
        }
    }

    @Test
    void should_name_every_clip_weight_and_read_the_logit_scale_as_a_number() {
        Path folder = TinyClip.write(dir.resolve("clip"), 6L, 16, 2);
        try (ClipFeatureExtractor clip = ClipFeatureExtractor.load(folder)) {
            Set<String> expected = tensorNames(folder);
            expected.remove("logit_scale");
            assertEquals(expected, new TreeSet<>(clip.parameters().keys()));
            assertHoldsStoredValues(folder, clip.parameters());
        }
    }

    @Test
    void should_name_adaptor_weights_with_the_prefix_they_were_loaded_or_made_with() throws Exception {
        Path file = dir.resolve("adaptor.safetensors");
        org.vlalign.core.checkpoint.SafetensorsWriter.create()
                .addF32("language_projection.weight", new float[] {1, 2, 3, 4, 5, 6}, 2, 3)
                .addF32("language_projection.bias", new float[] {7, 8}, 2)
                .write(file);
        try (LinearAdaptor loaded = LinearAdaptor.load(file);
                LinearAdaptor made = LinearAdaptor.of(LinearAdaptor.LANGUAGE_PROJECTION, new float[6], null, 3, 2)) {
            assertEquals(java.util.List.of("language_projection.weight", "language_projection.bias"),
                    loaded.parameters().keys());
            assertArrayEquals(new float[] {7, 8}, loaded.parameters().get("language_projection.bias").toFloatArray());
            assertEquals(java.util.List.of("language_projection.weight"), made.parameters().keys());
        }
        try (MlpAdaptor mlp = MlpAdaptor.of(MlpAdaptor.MULTI_MODAL_PROJECTOR, new float[6], new float[2],
                new float[8], new float[4], 3, 2, 4)) {
            assertEquals(java.util.List.of("multi_modal_projector.linear_1.weight",
                    "multi_modal_projector.linear_1.bias", "multi_modal_projector.linear_2.weight",
                    "multi_modal_projector.linear_2.bias"), mlp.parameters().keys());
        }
    }

    private static Path parityCase(String name) {
        String root = System.getProperty("vlalign.parity.dir");
        Assumptions.assumeTrue(root != null && Files.isDirectory(Path.of(root, name)),
                "the shared parity case " + name + " is not available");
        return Path.of(root, name);
    }

    @Test
    void should_match_the_tensor_names_hugging_face_wrote_for_llama_clip_blip_and_instructblip() {
        Path llama = parityCase("llama");
        try (LlamaLanguageModel lm = LlamaLanguageModel.load(llama)) {
            assertEquals(tensorNames(llama), new TreeSet<>(lm.parameters().keys()));
        }
        Path clip = parityCase("clip");
        try (ClipFeatureExtractor c = ClipFeatureExtractor.load(clip)) {
            Set<String> expected = tensorNames(clip);
            expected.remove("logit_scale");
            assertEquals(expected, new TreeSet<>(c.parameters().keys()));
        }
        Path retrieval = parityCase("blip2_retrieval");
        try (BlipFeatureExtractor b = BlipFeatureExtractor.load(retrieval)) {
            assertEquals(tensorNames(retrieval), new TreeSet<>(b.parameters().keys()));
        }
        Path instruct = parityCase("instructblip");
        try (TorchCheckpoint c = TorchCheckpoint.open(instruct); InstructBlipModel m = InstructBlipModel.load(c)) {
            assertEquals(tensorNames(instruct), new TreeSet<>(m.parameters().keys()));
            assertHoldsStoredValues(instruct, m.parameters());
        }
    }

    @Test
    void should_leave_out_only_the_llava_vision_layers_after_the_feature_layer() {
        Path llava = parityCase("llava");
        try (LlavaParts parts = LlavaModels.load(llava)) {
            NamedParameters all = NamedParameters.concat(parts.featureExtractor().parameters(),
                    parts.adaptor().parameters(), parts.torchLanguageModel().parameters());
            Set<String> names = tensorNames(llava);
            assertTrue(names.containsAll(all.keys()), "no invented keys");
            int layers = parts.config().vision().numHiddenLayers();
            Set<String> skipped = new TreeSet<>(names);
            skipped.removeAll(all.keys());
            assertFalse(skipped.isEmpty(), "vision_feature_layer -2 leaves the last layer unloaded");
            for (String k : skipped) {
                assertTrue(k.startsWith("vision_tower.vision_model.encoder.layers." + (layers - 1) + ".")
                        || k.startsWith("vision_tower.vision_model.post_layernorm."), k);
            }
            assertSame(all.get("language_model.model.norm.weight"),
                    parts.torchLanguageModel().parameters().get("language_model.model.norm.weight"));
        }
    }

    @Test
    void should_record_each_load_under_its_key_from_a_mark() throws Exception {
        Path folder = TinyLlama.builder().seed(9).write(dir.resolve("mark"));
        try (TorchCheckpoint c = TorchCheckpoint.open(folder);
                ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            c.load("model.norm.weight", m);
            int mark = c.loadedCount();
            try (LlamaModel model = LlamaModel.load(c, "", LlamaConfig.fromJson(c.config()))) {
                NamedParameters p = c.loadedSince(mark);
                assertEquals(model.parameters().keys(), p.keys());
                assertSame(model.parameters().get("model.norm.weight"), p.get("model.norm.weight"));
            }
            assertThrows(org.vlalign.InvalidArgumentException.class, () -> c.loadedSince(0),
                    "model.norm.weight was loaded twice since mark 0");
        }
    }

    private static void assertThrows(Class<? extends Throwable> type, org.junit.jupiter.api.function.Executable e,
            String message) {
        org.junit.jupiter.api.Assertions.assertThrows(type, e, message);
    }
}
