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
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlModel;
import org.vlalign.core.prompt.ImagePrefixPromptWrapper;
import org.vlalign.torch.TorchModels;

class DefaultModelRecipeTest {
    @TempDir
    Path dir;

    @Test
    void should_run_every_stage_and_write_folders_that_the_sdk_composes_into_the_same_answers() throws Exception {
        Path out = dir.resolve("model");
        DefaultModelRecipe.Settings s = DefaultModelRecipe.Settings.parse("--out", out.toString(), "--size", "tiny",
                "--train-images", "96", "--test-images", "48", "--itc-steps", "12", "--itc-batch", "16",
                "--lm-steps", "30", "--lm-batch", "16", "--eval-questions", "16", "--adaptor-batch", "32");
        DefaultModelRecipe.run(s, "test");

        JsonObject metrics = JsonParser.parseString(Files.readString(out.resolve("metrics.json"))).getAsJsonObject();
        for (String key : new String[] {"data", "stage1Itc", "stage2Lm", "stage3And4Adaptor", "totalSeconds"}) {
            assertTrue(metrics.has(key), key);
        }
        JsonObject itc = metrics.getAsJsonObject("stage1Itc");
        assertTrue(itc.getAsJsonObject("testRecallAfter").has("textToImageR@10"));
        JsonObject lm = metrics.getAsJsonObject("stage2Lm");
        assertTrue(lm.get("testLossAfter").getAsDouble() < lm.get("testLossBefore").getAsDouble());
        JsonObject adaptor = metrics.getAsJsonObject("stage3And4Adaptor");
        assertTrue(adaptor.getAsJsonObject("afterInstructions").has("colour"));
        assertTrue(Files.readString(out.resolve("RECIPE.md")).contains("test"));

        JsonArray samples = adaptor.getAsJsonArray("samples");
        assertFalse(samples.isEmpty());
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(DefaultModelRecipe.MAX_NEW_TOKENS).build();
        try (VlModel model = TorchModels.builder()
                .featureExtractor(out.resolve("blip2"))
                .adaptor(out.resolve("adaptor.safetensors"))
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
    }

    @Test
    void should_refuse_the_adaptor_stage_before_the_stages_it_needs(@TempDir Path out) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> DefaultModelRecipe.run(
                DefaultModelRecipe.Settings.parse("--out", out.toString(), "--size", "tiny", "--train-images", "8",
                        "--test-images", "4", "--stages", "adaptor"), "test"));
        assertTrue(e.getMessage().contains("stage1Itc") && e.getMessage().contains("--stages"), e.getMessage());
    }
}
