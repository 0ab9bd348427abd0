package org.vlalign.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.CheckpointException;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.LoadOptions;
import org.vlalign.Prompt;
import org.vlalign.SearchHit;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.core.prompt.InstructBlipPromptWrapper;
import org.vlalign.core.prompt.Llama2ChatPromptWrapper;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.core.checkpoint.SafetensorsReader;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.core.checkpoint.TensorInfo;
import org.vlalign.llm.LoraAdapter;
import org.vlalign.llm.LoraConfig;

class TorchModelsTest {
    @TempDir Path tmp;

    private static GenerationConfig greedy(int tokens) {
        return GenerationConfig.DEFAULT.toBuilder().maxNewTokens(tokens).build();
    }

    @Test
    void should_answer_end_to_end_like_the_lower_level_pipeline_when_loading_an_instructblip_folder() {
        Path dir = TinyBlip.write(tmp.resolve("ib"), Kind.INSTRUCTBLIP, 21, 2);
        ImageInput image = TestImages.gradient(7, 30, 22);
        String query = "what color is the car ?";
        try (VlModel model = TorchModels.load(dir)) {
            assertTrue(model.featureExtractor().acceptsInstruction());
            assertEquals(InstructBlipPromptWrapper.NAME, model.promptWrapper().name());
            Answer first = model.ask(image, query, greedy(6));
            Answer again = model.ask(image, query, greedy(6));
            assertFalse(first.text().isBlank(), "answer: '" + first.text() + "'");
            assertEquals(first.text(), again.text());

            // the same computation by hand through the parts
            Features features = model.featureExtractor().extract(image, query);
            Features embeddings = model.adaptor().adapt(features);
            assertArrayEquals(new int[] {TinyBlip.QUERIES, TinyBlip.TEXT_HIDDEN},
                    embeddings.shape());
            Prompt prompt = model.promptWrapper().wrap(embeddings, query);
            Answer manual = model.languageModel().generate(prompt, greedy(6));
            assertEquals(manual.text(), first.text());

            // another image gives the model other embeddings
            Features other = model.featureExtractor().extract(TestImages.gradient(8, 30, 22), query);
            assertFalse(java.util.Arrays.equals(other.data(), features.data()));
        }
    }

    @Test
    void should_find_the_torch_provider_through_vlmodel_load() {
        Path dir = TinyBlip.write(tmp.resolve("ib"), Kind.INSTRUCTBLIP, 22, 1);
        assertTrue(new TorchModelProvider().supports(dir));
        assertFalse(new TorchModelProvider().supports(tmp.resolve("missing")));
        try (VlModel model = VlModel.load(dir)) {
            assertFalse(model.ask(TestImages.gradient(1, 16, 16), "describe this image", greedy(3))
                    .text().isBlank());
        }
    }

    @Test
    void should_search_but_refuse_to_answer_when_the_checkpoint_is_retrieval_only() {
        Path dir = TinyBlip.write(tmp.resolve("ret"), Kind.BLIP2_RETRIEVAL, 23, 2);
        try (VlModel model = TorchModels.load(dir)) {
            assertInstanceOf(BlipFeatureExtractor.class, model.featureExtractor());
            assertFalse(model.canAnswer(), "retrieval checkpoints have no language model");
            assertTrue(model.canSearch());
            for (int i = 0; i < 4; i++) {
                model.index("img" + i, TestImages.gradient(i, 20 + i, 20), Map.of("n", "" + i));
            }
            List<SearchHit> hits = model.search("a red car", 3);
            assertEquals(3, hits.size());
            assertTrue(hits.get(0).score() >= hits.get(1).score());
            // the best hit's score is the max over its query vectors of the dot product with the text
            Features text = model.featureExtractor().embedText("a red car");
            int best = Integer.parseInt(hits.get(0).metadata().get("n"));
            Features vectors = model.featureExtractor().embedImage(TestImages.gradient(best, 20 + best, 20));
            double max = Double.NEGATIVE_INFINITY;
            for (int r = 0; r < vectors.rows(); r++) {
                double dot = 0;
                for (int c = 0; c < vectors.cols(); c++) {
                    dot += vectors.row(r)[c] * text.row(0)[c];
                }
                max = Math.max(max, dot);
            }
            assertEquals(max, hits.get(0).score(), 1e-5);
            UnsupportedModelException e = assertThrows(
                    UnsupportedModelException.class, () -> model.ask(TestImages.gradient(1, 16, 16), "hi"));
            assertTrue(e.getMessage().contains("Blip2ForImageTextRetrieval") && e.getMessage().contains(dir.toString())
                    && e.getMessage().contains("which has no language model"), e.getMessage());
        }
    }

    @Test
    void should_load_every_shared_checkpoint_folder_of_a_supported_type() throws Exception {
        String parity = System.getProperty("vlalign.parity.dir");
        org.junit.jupiter.api.Assumptions.assumeTrue(parity != null && Files.isDirectory(Path.of(parity)));
        for (String name : List.of("instructblip", "blip2_qformer", "blip2_retrieval", "llava", "clip")) {
            Path dir = Path.of(parity, name);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            assertTrue(new TorchModelProvider().supports(dir), name);
            try (VlModel model = TorchModels.load(dir)) {
                boolean hasLanguageModel = name.equals("instructblip") || name.equals("llava");
                assertEquals(hasLanguageModel, model.canAnswer(), name);
                assertEquals(name.equals("blip2_retrieval") || name.equals("clip"), model.canSearch(), name);
                if (hasLanguageModel) {
                    assertEquals(model.featureExtractor().featureWidth(), model.adaptor().inputDim(), name);
                    assertEquals(model.adaptor().outputDim(), model.languageModel().hiddenSize(), name);
                } else {
                    UnsupportedModelException e = assertThrows(UnsupportedModelException.class, model::languageModel);
                    assertTrue(e.getMessage().contains(dir.toString()), name + ": " + e.getMessage());
                }
                Features f = model.featureExtractor().extract(ImageInput.of(dir.resolve("image0.png")));
                assertTrue(f.rows() > 0, name);
                assertEquals(model.featureExtractor().featureWidth(), f.cols(), name);
            }
        }
    }

    @Test
    void should_say_what_a_blip2_features_checkpoint_lacks_when_asked_to_answer() {
        Path dir = TinyBlip.write(tmp.resolve("features"), Kind.BLIP2_MODEL, 29, 1);
        try (VlModel model = TorchModels.load(dir)) {
            assertFalse(model.canAnswer());
            assertFalse(model.canSearch(), "Blip2Model has no retrieval projections");
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                    () -> model.newChat(TestImages.gradient(1, 16, 16)));
            assertTrue(e.getMessage().contains("Blip2Model") && e.getMessage().contains("'opt'"), e.getMessage());
            assertThrows(UnsupportedModelException.class, () -> model.search("a red car", 1));
        }
    }

    @Test
    void should_load_a_feature_extractor_or_a_language_model_alone_through_the_public_loaders() throws Exception {
        Path blip = TinyBlip.write(tmp.resolve("ib"), Kind.INSTRUCTBLIP, 30, 1);
        Path llama = TinyBlip.writeLlama(tmp.resolve("llama"), 31);
        try (FeatureExtractor extractor = TorchModels.loadFeatureExtractor(blip);
                LanguageModel lm = TorchModels.loadLanguageModel(llama)) {
            assertEquals(TinyBlip.QFORMER_HIDDEN, extractor.featureWidth());
            assertTrue(extractor.acceptsInstruction());
            assertFalse(extractor.canEmbed());
            assertEquals(TinyBlip.TEXT_HIDDEN, lm.hiddenSize());
            assertTrue(lm.eosTokenId().isPresent());
        }
        Path gpt = Files.createDirectories(tmp.resolve("gpt"));
        Files.writeString(gpt.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        UnsupportedModelException e =
                assertThrows(UnsupportedModelException.class, () -> TorchModels.loadFeatureExtractor(gpt));
        assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("CLIP"), e.getMessage());
    }

    @Test
    void should_list_the_supported_types_when_the_model_type_is_unknown() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("gpt"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> TorchModels.load(dir));
        assertTrue(e.getMessage().contains("gpt2") && e.getMessage().contains("instructblip")
                && e.getMessage().contains("llava"), e.getMessage());
        assertFalse(new TorchModelProvider().supports(dir));
    }

    @Test
    void should_compose_the_reference_system_from_a_qformer_folder_an_adaptor_file_and_a_llama_folder() {
        Path blip = TinyBlip.write(tmp.resolve("blip2"), Kind.BLIP2_RETRIEVAL, 24, 2);
        Path llama = TinyBlip.writeLlama(tmp.resolve("llama"), 25);
        Path adaptor = tmp.resolve("adaptor.safetensors");
        SafetensorsWriter.create()
                .addF32("weight", adaptorWeight(26), TinyBlip.TEXT_HIDDEN, TinyBlip.QFORMER_HIDDEN)
                .addF32("bias", new float[TinyBlip.TEXT_HIDDEN], TinyBlip.TEXT_HIDDEN)
                .write(adaptor);
        ImageInput image = TestImages.gradient(3, 18, 25);
        try (VlModel model = TorchModels.builder()
                .featureExtractor(blip)
                .adaptor(adaptor)
                .languageModel(llama)
                .build()) {
            assertEquals("llama-2-chat", model.promptWrapper().name());
            // the default template closes turns with the language model's own EOS id, given through the interface
            assertEquals(Llama2ChatPromptWrapper.create().withEosTokenId(model.languageModel().eosTokenId().getAsInt()),
                    model.promptWrapper());
            assertTrue(model.canAnswer() && model.canSearch());
            Answer a = model.ask(image, "", greedy(5));
            assertEquals(a.text(), model.ask(image, "", greedy(5)).text());
            Prompt prompt = model.promptWrapper().wrap(model.adaptor().adapt(model.featureExtractor().extract(image)), "");
            assertEquals(model.languageModel().generate(prompt, greedy(5)).text(), a.text());
            // the reference system can search too: the BLIP-2 folder has retrieval heads
            model.index("x", image, Map.of());
            assertEquals("x", model.search("a cat", 1).get(0).id());
        }
    }

    /** A random Q-Former-to-Llama projection, {@code (TEXT_HIDDEN, QFORMER_HIDDEN)}, scaled to keep the variance. */
    private static float[] adaptorWeight(long seed) {
        Random r = new Random(seed);
        float[] w = new float[TinyBlip.TEXT_HIDDEN * TinyBlip.QFORMER_HIDDEN];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() / Math.sqrt(TinyBlip.QFORMER_HIDDEN));
        }
        return w;
    }

    /** A composition folder: BLIP-2 retrieval + adaptor + Llama under one config.json naming them. */
    private Path compositionFolder(String template) throws Exception {
        Path root = Files.createDirectories(tmp.resolve("composed"));
        TinyBlip.write(root.resolve("vision"), Kind.BLIP2_RETRIEVAL, 31, 2);
        TinyBlip.writeLlama(root.resolve("lm"), 32);
        SafetensorsWriter.create()
                .addF16("weight", adaptorWeight(33), TinyBlip.TEXT_HIDDEN, TinyBlip.QFORMER_HIDDEN)
                .addF16("bias", new float[TinyBlip.TEXT_HIDDEN], TinyBlip.TEXT_HIDDEN)
                .write(root.resolve("adaptor.safetensors"));
        writeComposition(root, "vision", "adaptor.safetensors", "lm", template);
        return root;
    }

    private static void writeComposition(Path root, String vision, String adaptor, String lm, String template)
            throws Exception {
        Files.writeString(root.resolve("config.json"), "{\"model_type\": \"" + TorchModels.COMPOSITION_TYPE
                + "\", \"feature_extractor\": \"" + vision + "\", \"adaptor\": \"" + adaptor
                + "\", \"language_model\": \"" + lm + "\", \"prompt_template\": \"" + template + "\"}");
    }

    @Test
    void should_load_a_composition_folder_exactly_like_the_builder_composes_its_parts() throws Exception {
        Path root = compositionFolder(InstructBlipPromptWrapper.NAME);
        ImageInput image = TestImages.gradient(4, 21, 19);
        try (VlModel loaded = VlModel.load(root);
                VlModel built = TorchModels.builder()
                        .featureExtractor(root.resolve("vision"))
                        .adaptor(root.resolve("adaptor.safetensors"))
                        .languageModel(root.resolve("lm"))
                        .promptWrapper(InstructBlipPromptWrapper.create())
                        .build()) {
            assertEquals(InstructBlipPromptWrapper.NAME, loaded.promptWrapper().name());
            assertArrayEquals(built.ask(image, "what is it?", greedy(6)).tokenIds(),
                    loaded.ask(image, "what is it?", greedy(6)).tokenIds());
            loaded.index("a", image, Map.of());
            loaded.index("b", TestImages.gradient(9, 17, 23), Map.of());
            assertEquals(2, loaded.search("a shape", 5).size());
        }
    }

    @Test
    void should_refuse_a_composition_whose_paths_leave_the_folder_or_are_missing() throws Exception {
        Path root = compositionFolder(InstructBlipPromptWrapper.NAME);
        writeComposition(root, "../outside", "adaptor.safetensors", "lm", InstructBlipPromptWrapper.NAME);
        CheckpointException escape = assertThrows(CheckpointException.class, () -> VlModel.load(root));
        assertTrue(escape.getMessage().contains("feature_extractor") && escape.getMessage().contains("leaves"),
                escape.getMessage());
        writeComposition(root, "vision", "missing.safetensors", "lm", InstructBlipPromptWrapper.NAME);
        CheckpointException missing = assertThrows(CheckpointException.class, () -> VlModel.load(root));
        assertTrue(missing.getMessage().contains("missing.safetensors"), missing.getMessage());
        Files.writeString(root.resolve("config.json"), "{\"model_type\": \"" + TorchModels.COMPOSITION_TYPE
                + "\", \"feature_extractor\": \"vision\"}");
        CheckpointException incomplete = assertThrows(CheckpointException.class, () -> VlModel.load(root));
        assertTrue(incomplete.getMessage().contains("prompt_template"), incomplete.getMessage());
    }

    @Test
    void should_merge_the_lora_adapter_a_composition_names_as_the_load_option_merges_it() throws Exception {
        Path root = compositionFolder(InstructBlipPromptWrapper.NAME);
        Path adapter = writeAdapter(root.resolve("lm"), root.resolve("lm-lora"));
        Files.writeString(root.resolve("config.json"), "{\"model_type\": \"" + TorchModels.COMPOSITION_TYPE
                + "\", \"feature_extractor\": \"vision\", \"adaptor\": \"adaptor.safetensors\","
                + " \"language_model\": \"lm\", \"prompt_template\": \"" + InstructBlipPromptWrapper.NAME
                + "\", \"lora\": \"lm-lora\"}");
        ImageInput image = TestImages.gradient(4, 21, 19);
        TorchModels.Builder parts = TorchModels.builder()
                .featureExtractor(root.resolve("vision"))
                .adaptor(root.resolve("adaptor.safetensors"))
                .languageModel(root.resolve("lm"))
                .promptWrapper(InstructBlipPromptWrapper.create());
        Answer merged;
        Answer base;
        try (VlModel built = parts.options(LoadOptions.builder().lora(adapter).build()).build()) {
            merged = built.ask(image, "what is it?", greedy(6));
        }
        try (VlModel built = parts.options(LoadOptions.DEFAULT).build()) {
            base = built.ask(image, "what is it?", greedy(6));
        }
        try (VlModel loaded = VlModel.load(root)) {
            Answer a = loaded.ask(image, "what is it?", greedy(6));
            assertArrayEquals(merged.tokenIds(), a.tokenIds());
            assertEquals(merged.score(), a.score(), 1e-6);
            assertTrue(Math.abs(base.score() - a.score()) > 1e-3, "the adapter changes the answer's score: "
                    + base.score() + " vs " + a.score());
        }
        InvalidArgumentException twice = assertThrows(InvalidArgumentException.class,
                () -> TorchModels.load(root, LoadOptions.builder().lora(adapter).build()));
        assertTrue(twice.getMessage().contains("already names a LoRA adapter"), twice.getMessage());
    }

    /** A rank-2 adapter on layer 0's v_proj and up_proj of a Llama folder, with weights large enough to matter. */
    private static Path writeAdapter(Path llama, Path dir) {
        Random rnd = new Random(41);
        int r = 2;
        Map<String, float[][]> pairs = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(llama.resolve("model.safetensors"))) {
            for (String module : List.of("model.layers.0.self_attn.v_proj", "model.layers.0.mlp.up_proj")) {
                TensorInfo t = reader.tensors().get(module + ".weight");
                int out = (int) t.shape()[0];
                int in = (int) t.shape()[1];
                float[] a = new float[r * in];
                float[] b = new float[out * r];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) rnd.nextGaussian() * 0.5f;
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) rnd.nextGaussian() * 0.5f;
                }
                pairs.put(module, new float[][] {a, b});
                shapes.put(module, new int[] {out, in});
            }
        }
        LoraAdapter.write(dir, LoraConfig.of(r, 4, "v_proj", "up_proj"), pairs, shapes);
        return dir;
    }

    @Test
    void should_name_the_known_templates_when_a_composition_names_an_unknown_one() throws Exception {
        Path root = compositionFolder("alpaca");
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> VlModel.load(root));
        assertTrue(e.getMessage().contains("alpaca") && e.getMessage().contains(InstructBlipPromptWrapper.NAME),
                e.getMessage());
    }

    @Test
    void should_reject_an_adaptor_whose_width_does_not_match_the_language_model() {
        Path blip = TinyBlip.write(tmp.resolve("blip2"), Kind.BLIP2_MODEL, 27, 2);
        Path llama = TinyBlip.writeLlama(tmp.resolve("llama"), 28);
        Path adaptor = tmp.resolve("adaptor.safetensors");
        int wrong = TinyBlip.TEXT_HIDDEN + 8;
        SafetensorsWriter.create()
                .addF32("weight", new float[wrong * TinyBlip.QFORMER_HIDDEN], wrong,
                        TinyBlip.QFORMER_HIDDEN)
                .write(adaptor);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> TorchModels.builder()
                .featureExtractor(blip).adaptor(adaptor).languageModel(llama).build());
        assertTrue(e.getMessage().contains(String.valueOf(wrong))
                && e.getMessage().contains(String.valueOf(TinyBlip.TEXT_HIDDEN)), e.getMessage());

        Path narrow = tmp.resolve("narrow.safetensors");
        SafetensorsWriter.create()
                .addF32("weight", new float[TinyBlip.TEXT_HIDDEN * 7], TinyBlip.TEXT_HIDDEN, 7)
                .write(narrow);
        InvalidArgumentException e2 = assertThrows(InvalidArgumentException.class, () -> TorchModels.builder()
                .featureExtractor(blip).adaptor(narrow).languageModel(llama).build());
        assertTrue(e2.getMessage().contains("width " + TinyBlip.QFORMER_HIDDEN), e2.getMessage());
    }
}
