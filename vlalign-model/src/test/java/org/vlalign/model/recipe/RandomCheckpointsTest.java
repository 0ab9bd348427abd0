package org.vlalign.model.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlModel;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.torch.TorchModels;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;

class RandomCheckpointsTest {
    @TempDir
    Path dir;

    @Test
    void should_write_a_retrieval_folder_that_the_sdk_loads_and_embeds_world_text_with() {
        RandomCheckpoints.RetrievalSpec spec = RandomCheckpoints.RetrievalSpec.tiny();
        Path blip = RandomCheckpoints.writeRetrieval(dir.resolve("blip"), spec, 1);
        World world = World.builder().seed(2).build();
        ImageInput image = ImageInput.of(world.render(world.sample(Split.TRAIN, 0)));
        try (BlipFeatureExtractor extractor = BlipFeatureExtractor.load(blip)) {
            Features text = extractor.embedText("a small red circle left of a large blue square");
            Features img = extractor.embedImage(image);
            assertEquals(spec.projection(), text.cols());
            assertEquals(spec.queries(), img.rows());
            assertEquals(spec.projection(), img.cols());
        }
        try (VlModel model = TorchModels.load(blip)) {
            assertTrue(model.toString() != null);
        }
    }

    @Test
    void should_write_a_llama_folder_whose_tokenizer_knows_every_world_word() {
        Path llama = RandomCheckpoints.writeLlama(dir.resolve("llama"), RandomCheckpoints.LlamaSpec.tiny(), 1);
        try (LlamaLanguageModel lm = LlamaLanguageModel.load(llama)) {
            assertEquals(RandomCheckpoints.worldVocabSize(), lm.model().config().vocabSize());
            World world = World.builder().seed(3).build();
            List<String> texts = new java.util.ArrayList<>(WorldData.corpus(world, Split.TRAIN, 0, 20));
            for (long i = 0; i < 20; i++) { // box questions and answers, which the instruction stage trains on
                world.boxQuestions(world.sample(Split.TRAIN, i)).forEach(qa -> {
                    texts.add(qa.question());
                    texts.add(qa.answer());
                });
            }
            for (String text : texts) {
                int[] ids = lm.encode(text);
                assertEquals(World.tokenize(text).size(), ids.length, text);
                for (int id : ids) {
                    assertTrue(id >= 4, "unknown or special token in '" + text + "'");
                }
            }
        }
    }

    @Test
    void should_initialise_linears_at_fan_in_positions_at_unit_scale_and_embeddings_like_hugging_face() {
        RandomCheckpoints.RetrievalSpec spec = RandomCheckpoints.RetrievalSpec.tiny();
        Path blip = RandomCheckpoints.writeRetrieval(dir.resolve("blip"), spec, 4);
        try (Checkpoint c = Checkpoint.open(blip)) {
            float[] fc1 = c.loadFloats("vision_model.encoder.layers.0.mlp.fc1.weight"); // (4h, h)
            assertEquals(0.0, mean(fc1), 0.05 / Math.sqrt(spec.visionHidden()));
            assertEquals(1 / Math.sqrt(spec.visionHidden()), std(fc1), 0.05 / Math.sqrt(spec.visionHidden()));
            float[] fc2 = c.loadFloats("vision_model.encoder.layers.0.mlp.fc2.weight"); // (h, 4h)
            assertEquals(1 / Math.sqrt(4.0 * spec.visionHidden()), std(fc2), 0.05 / Math.sqrt(spec.visionHidden()));
            float[] patch = c.loadFloats("vision_model.embeddings.patch_embedding.weight");
            double fanIn = 3.0 * spec.patchSize() * spec.patchSize();
            assertEquals(1 / Math.sqrt(fanIn), std(patch), 0.05 / Math.sqrt(fanIn));
            assertEquals(1.0, std(c.loadFloats("vision_model.embeddings.position_embedding")), 0.05);
            assertEquals(RandomCheckpoints.INIT_STD, std(c.loadFloats("query_tokens")), 0.005);
            assertEquals(RandomCheckpoints.INIT_STD, std(c.loadFloats("embeddings.word_embeddings.weight")), 0.002);
            for (float f : c.loadFloats("qformer.encoder.layer.0.crossattention.attention.key.bias")) {
                assertEquals(0f, f);
            }
            for (float f : c.loadFloats("qformer.layernorm.weight")) {
                assertEquals(1f, f);
            }
        }
    }

    private static double mean(float[] w) {
        double sum = 0;
        for (float f : w) {
            sum += f;
        }
        return sum / w.length;
    }

    private static double std(float[] w) {
        double m = mean(w);
        double sq = 0;
        for (float f : w) {
            sq += (f - m) * (f - m);
        }
        return Math.sqrt(sq / w.length);
    }

    @Test
    void should_initialise_a_llama_at_its_specs_standard_deviation_and_record_it_in_the_config() throws Exception {
        RandomCheckpoints.LlamaSpec spec = RandomCheckpoints.LlamaSpec.small();
        assertEquals(1 / Math.sqrt(192), spec.initStd(), 1e-12, "the fan-in scale");
        Path llama = RandomCheckpoints.writeLlama(dir.resolve("llama"), spec, 4);
        try (Checkpoint c = Checkpoint.open(llama)) {
            for (String name : List.of("model.embed_tokens.weight", "model.layers.1.self_attn.q_proj.weight",
                    "model.layers.0.mlp.down_proj.weight", "lm_head.weight")) {
                float[] w = c.loadFloats(name);
                double sq = 0;
                for (float f : w) {
                    sq += f * f;
                }
                assertEquals(spec.initStd(), Math.sqrt(sq / w.length), 0.1 * spec.initStd(), name);
            }
        }
        String config = Files.readString(llama.resolve("config.json"));
        assertTrue(config.contains("\"initializer_range\": " + spec.initStd()), config);
        assertThrows(InvalidArgumentException.class, () -> new RandomCheckpoints.LlamaSpec(64, 128, 2, 4, 2, 256, 0));
    }

    @Test
    void should_write_identical_weights_for_one_seed_and_different_weights_for_another() throws Exception {
        RandomCheckpoints.LlamaSpec spec = RandomCheckpoints.LlamaSpec.tiny();
        Path a = RandomCheckpoints.writeLlama(dir.resolve("a"), spec, 8);
        Path b = RandomCheckpoints.writeLlama(dir.resolve("b"), spec, 8);
        Path c = RandomCheckpoints.writeLlama(dir.resolve("c"), spec, 9);
        byte[] bytesA = Files.readAllBytes(a.resolve("model.safetensors"));
        assertArrayEquals(bytesA, Files.readAllBytes(b.resolve("model.safetensors")));
        assertFalse(java.util.Arrays.equals(bytesA, Files.readAllBytes(c.resolve("model.safetensors"))));
    }

    @Test
    void should_reject_sizes_that_do_not_divide() {
        assertThrows(InvalidArgumentException.class,
                () -> new RandomCheckpoints.RetrievalSpec(64, 12, 64, 2, 4, 64, 2, 4, 8, 1, 32, 48));
        assertThrows(InvalidArgumentException.class,
                () -> RandomCheckpoints.LlamaSpec.of(64, 128, 2, 4, 3, 256));
        assertTrue(List.of(RandomCheckpoints.RetrievalSpec.small().imageSize()).contains(64));
    }
}
