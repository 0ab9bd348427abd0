package org.vlalign.model.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LoadOptions;
import org.vlalign.VlalignException;
import org.vlalign.VlModel;
import org.vlalign.core.prompt.ImagePrefixPromptWrapper;
import org.vlalign.torch.TorchModels;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;

class DefaultModelRecipeTest {
    @TempDir
    Path dir;

    @Test
    void should_run_every_stage_and_write_folders_that_the_sdk_composes_into_the_same_answers() throws Exception {
        Path out = dir.resolve("model");
        DefaultModelRecipe.Settings s = DefaultModelRecipe.Settings.parse("--out", out.toString(), "--size", "tiny",
                "--train-images", "96", "--test-images", "48", "--itc-steps", "12", "--itc-batch", "16",
                "--lm-steps", "30", "--lm-batch", "16", "--eval-questions", "16", "--adaptor-batch", "32",
                "--probe-scenes", "24", "--gate-scenes", "6", "--lm-drill-steps", "6", "--lm-language-steps", "6",
                "--gates", "report", "--lora-rank", "2", "--vision-steps", "4", "--tune-queries", "true");
        DefaultModelRecipe.run(s, "test");

        JsonObject metrics = JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
        for (String key : new String[] {"data", "stage1Itc", "stage2Lm", "stage3And4Adaptor", "totalSeconds"}) {
            assertTrue(metrics.has(key), key);
        }
        JsonObject itc = metrics.getAsJsonObject("stage1Itc");
        assertTrue(itc.getAsJsonObject("testRecallAfter").has("textToImageR@10"));
        assertTrue(itc.get("losses").getAsString().contains("itm"), itc.toString());
        assertTrue(itc.getAsJsonObject("vision").getAsJsonObject("testAfter").has("positiveF1"), itc.toString());
        assertEquals("queries", itc.getAsJsonObject("vision").get("reads").getAsString(), itc.toString());
        try (BlipFeatureExtractor pretrained = BlipFeatureExtractor.load(out.resolve("work/blip2-vision"));
                BlipFeatureExtractor trained = BlipFeatureExtractor.load(out.resolve("blip2"))) {
            Map<String, float[]> before = pretrained.parameters().values();
            Map<String, float[]> after = trained.parameters().values();
            for (String key : before.keySet()) {
                // stage 1's losses train the Q-Former over the frozen, pre-trained tower
                assertEquals(key.startsWith("vision_model."), Arrays.equals(before.get(key), after.get(key)), key);
            }
        }
        JsonObject probes = itc.getAsJsonObject("probes");
        for (String probe : new String[] {"shapeOfColour", "cellOfShape"}) {
            double acc = probes.get(probe).getAsDouble();
            assertTrue(acc >= 0 && acc <= 1, probes.toString());
        }
        JsonObject lm = metrics.getAsJsonObject("stage2Lm");
        assertTrue(lm.get("testLossAfter").getAsDouble() < lm.get("testLossBefore").getAsDouble());
        assertTrue(lm.has("drillLastStepsLoss") && lm.has("languageLastStepsLoss"), lm.toString());
        JsonObject reading = lm.getAsJsonObject("readingGate");
        for (String type : new String[] {"colour", "shape", "count", "position", "existence"}) {
            assertTrue(reading.has(type), reading.toString());
        }
        JsonObject adaptor = metrics.getAsJsonObject("stage3And4Adaptor");
        assertTrue(adaptor.getAsJsonObject("afterInstructions").has("colour"));
        assertTrue(adaptor.getAsJsonObject("afterLora").has("colour"));
        assertTrue(adaptor.getAsJsonObject("afterInstructionsFittingScores").has("descriptionObjectF1"));
        assertTrue(Files.isRegularFile(out.resolve("lora").resolve("adapter_config.json")));
        assertTrue(adaptor.get("tunedParts").getAsString().contains("Q-Former query path"), adaptor.toString());
        Path answering = out.resolve(DefaultModelRecipe.ANSWER_EXTRACTOR);
        try (BlipFeatureExtractor stage1 = BlipFeatureExtractor.load(out.resolve("blip2"));
                BlipFeatureExtractor tuned = BlipFeatureExtractor.load(answering)) {
            Map<String, float[]> before = stage1.parameters().values();
            Map<String, float[]> after = tuned.parameters().values();
            boolean queriesChanged = false;
            for (String key : before.keySet()) {
                boolean same = Arrays.equals(before.get(key), after.get(key));
                if (key.startsWith("vision_model.") || key.startsWith("embeddings.") || key.contains("projection")) {
                    assertTrue(same, key + " changed, but only the Q-Former's query path is tuned");
                }
                queriesChanged |= key.equals("query_tokens") && !same;
            }
            assertTrue(queriesChanged, "the last stage trains the learned queries");
        }
        assertTrue(Files.readString(out.resolve("RECIPE.md")).contains("test"));

        JsonArray samples = adaptor.getAsJsonArray("samples");
        assertFalse(samples.isEmpty());
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(DefaultModelRecipe.MAX_NEW_TOKENS).build();
        try (VlModel model = TorchModels.builder()
                .featureExtractor(answering)
                .adaptor(out.resolve("adaptor.safetensors"))
                .options(LoadOptions.builder().lora(out.resolve("lora")).build()) // the JVM engine merges it
                .languageModel(out.resolve("llama"))
                .promptWrapper(ImagePrefixPromptWrapper.create())
                .build()) {
            for (JsonElement e : samples) {
                JsonObject sample = e.getAsJsonObject();
                String answer = model.ask(ImageInput.of(out.resolve(sample.get("image").getAsString())),
                        sample.get("query").getAsString(), greedy).text().strip();
                assertEquals(sample.get("prediction").getAsString(), answer, sample.toString());
            }
        }

        // the packaged folder names its LoRA adapter, which VlModel.load merges as LoadOptions.lora does
        Path packed = DefaultModelPackager.pack(out, dir.resolve("packed"), 1, 2);
        JsonObject config = JsonParser.parseString(Files.readString(packed.resolve("config.json"))).getAsJsonObject();
        assertEquals(DefaultModelPackager.LORA, config.get("lora").getAsString(), config.toString());
        // the tuned Q-Former answers; the stage-1 one, matched to its text side, searches
        assertEquals(DefaultModelRecipe.ANSWER_EXTRACTOR, config.get("feature_extractor").getAsString());
        assertEquals("blip2", config.get("search_extractor").getAsString(), config.toString());
        String manifest = Files.readString(packed.resolve(DefaultModelPackager.MANIFEST));
        assertTrue(manifest.contains("lora/adapter_model.safetensors"), manifest);
        JsonObject first = samples.get(0).getAsJsonObject();
        ImageInput image = ImageInput.of(out.resolve(first.get("image").getAsString()));
        try (VlModel loaded = VlModel.load(packed);
                VlModel built = TorchModels.builder()
                        .featureExtractor(packed.resolve(DefaultModelRecipe.ANSWER_EXTRACTOR))
                        .adaptor(packed.resolve("adaptor.safetensors"))
                        .options(LoadOptions.builder().lora(packed.resolve("lora")).build())
                        .languageModel(packed.resolve("llama"))
                        .promptWrapper(ImagePrefixPromptWrapper.create())
                        .build()) {
            String query = first.get("query").getAsString();
            assertEquals(built.ask(image, query, greedy).text(), loaded.ask(image, query, greedy).text());
            try (BlipFeatureExtractor search = BlipFeatureExtractor.load(packed.resolve("blip2"))) {
                assertEquals(search.embedText("a red square"), loaded.featureExtractor().embedText("a red square"));
                assertEquals(search.embedImage(image), loaded.featureExtractor().embedImage(image));
            }
        }
    }

    @Test
    void should_reject_unknown_flags_and_sizes() {
        assertThrows(InvalidArgumentException.class, () -> DefaultModelRecipe.Settings.parse("--steps", "3"));
        assertThrows(InvalidArgumentException.class, () -> DefaultModelRecipe.Settings.parse("--size", "huge"));
        assertThrows(InvalidArgumentException.class, () -> DefaultModelRecipe.Settings.parse("--itc-steps", "x"));
        InvalidArgumentException stage = assertThrows(InvalidArgumentException.class,
                () -> DefaultModelRecipe.Settings.parse("--stages", "itc,vqa"));
        assertTrue(stage.getMessage().contains("adaptor"), stage.getMessage());
        DefaultModelRecipe.Settings d = DefaultModelRecipe.Settings.parse();
        assertEquals(Path.of("default-model"), d.out());
        assertFalse(d.tiny());
        assertEquals(Set.copyOf(DefaultModelRecipe.Settings.STAGES), d.stages());
        assertEquals(Set.of("lm"), DefaultModelRecipe.Settings.parse("--stages", "lm").stages());
        assertTrue(d.itcHardNegatives());
        assertEquals(8, d.lmTurns());
        assertFalse(DefaultModelRecipe.Settings.parse("--itc-hard-negatives", "false").itcHardNegatives());
        assertThrows(InvalidArgumentException.class,
                () -> DefaultModelRecipe.Settings.parse("--itc-hard-negatives", "yes"));
        assertThrows(InvalidArgumentException.class, () -> DefaultModelRecipe.Settings.parse("--lm-turns", "0"));
    }

    @Test
    void should_stop_before_the_adaptor_stages_when_an_enforced_gate_fails() {
        DefaultModelRecipe.Settings enforce = DefaultModelRecipe.Settings.parse();
        DefaultModelRecipe.Settings report = DefaultModelRecipe.Settings.parse("--gates", "report");
        Map<String, Object> weakProbes = Map.of("probes", Map.of("shapeOfColour", 0.3, "passed", false));
        Map<String, Object> reads = Map.of("readingGate", Map.of("colour", 0.99, "passed", true));
        VlalignException e = assertThrows(VlalignException.class,
                () -> DefaultModelRecipe.checkGates(enforce, weakProbes, reads));
        assertTrue(e.getMessage().contains("shapeOfColour") && e.getMessage().contains("--gates report"),
                e.getMessage());
        DefaultModelRecipe.checkGates(report, weakProbes, reads); // logged, not thrown
        DefaultModelRecipe.checkGates(enforce, Map.of("probes", Map.of("passed", true)), reads);
        assertThrows(InvalidArgumentException.class, () -> DefaultModelRecipe.Settings.parse("--gates", "maybe"));
    }

    @Test
    void should_refuse_the_adaptor_stage_before_the_stages_it_needs(@TempDir Path out) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> DefaultModelRecipe.run(
                DefaultModelRecipe.Settings.parse("--out", out.toString(), "--size", "tiny", "--train-images", "8",
                        "--test-images", "4", "--stages", "adaptor"), "test"));
        assertTrue(e.getMessage().contains("stage1Itc") && e.getMessage().contains("--stages"), e.getMessage());
    }
}
