package org.vlalign.model.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import java.util.List;
import org.vlalign.ImageInput;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;

class WeightBindingTest {
    @TempDir
    Path dir;

    @Test
    void should_bind_every_tensor_to_a_live_array_holding_its_real_values() {
        Path llama = RandomCheckpoints.writeLlama(dir.resolve("llama"), RandomCheckpoints.LlamaSpec.tiny(), 3);
        WeightBinding<LlamaLanguageModel> binding =
                WeightBinding.bind(llama, LlamaLanguageModel::load, lm -> lm.model().manager());
        try (LlamaLanguageModel lm = binding.model(); Checkpoint c = Checkpoint.open(llama)) {
            assertEquals(new TreeSet<>(c.tensorNames()), new TreeSet<>(binding.parameters().keySet()));
            for (Map.Entry<String, NDArray> e : binding.parameters().entrySet()) {
                assertArrayEquals(c.loadFloats(e.getKey()), e.getValue().toFloatArray(), e.getKey());
            }
        }
    }

    @Test
    void should_let_gradients_reach_every_weight_through_the_sdk_forward_pass() {
        Path llama = RandomCheckpoints.writeLlama(dir.resolve("llama"), RandomCheckpoints.LlamaSpec.tiny(), 5);
        WeightBinding<LlamaLanguageModel> binding =
                WeightBinding.bind(llama, LlamaLanguageModel::load, lm -> lm.model().manager());
        try (LlamaLanguageModel lm = binding.model()) {
            LlamaModel model = lm.model();
            binding.parameters().values().forEach(p -> p.setRequiresGradient(true));
            long[][] ids = {{1, 10, 20, 30, 2}};
            long[][] mask = {{1, 1, 1, 1, 1}};
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector();
                    NDManager call = model.manager().newSubManager()) {
                NDArray logits = model.logits(model.trainingHiddenStates(call, model.embedTokens(call, ids), mask));
                collector.backward(logits.logSoftmax(-1).get(":, :, 7").sum());
            }
            for (Map.Entry<String, NDArray> e : binding.parameters().entrySet()) {
                float[] g = e.getValue().getGradient().toFloatArray();
                double norm = 0;
                for (float f : g) {
                    norm += f * f;
                }
                assertTrue(norm > 0, "no gradient reached " + e.getKey());
            }
        }
    }

    @Test
    void should_let_gradients_reach_every_vision_and_qformer_weight_through_the_contrastive_embeddings() {
        Path blip = RandomCheckpoints.writeRetrieval(dir.resolve("blip"), RandomCheckpoints.RetrievalSpec.tiny(), 5);
        WeightBinding<BlipFeatureExtractor> binding = WeightBinding.bind(blip, BlipFeatureExtractor::load, fe -> {
            try (NDManager call = fe.newCallManager()) {
                return call.getParentManager();
            }
        });
        World world = World.builder().seed(4).build();
        List<ImageInput> images = List.of(ImageInput.of(world.render(world.sample(Split.TRAIN, 0))),
                ImageInput.of(world.render(world.sample(Split.TRAIN, 1))));
        try (BlipFeatureExtractor fe = binding.model()) {
            binding.parameters().values().forEach(p -> p.setRequiresGradient(true));
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector();
                    NDManager call = fe.newCallManager()) {
                NDArray image = fe.imageEmbeds(call, fe.pixelValues(call, images)); // (2, queries, dim)
                NDArray text = fe.textEmbeds(call, new long[][] {{1, 10, 20}, {1, 30, 40}},
                        new long[][] {{1, 1, 1}, {1, 1, 0}}); // (2, dim)
                NDArray sim = image.matMul(text.transpose()).max(new int[] {1}); // (2, 2)
                NDArray signs = call.create(new float[] {1, -1, -1, 1}, new ai.djl.ndarray.types.Shape(2, 2));
                collector.backward(sim.mul(signs).sum());
            }
            for (Map.Entry<String, NDArray> e : binding.parameters().entrySet()) {
                if (e.getKey().startsWith("itm_head.")) {
                    continue; // the contrastive loss does not use the matching head
                }
                double norm = 0;
                for (float f : e.getValue().getGradient().toFloatArray()) {
                    norm += f * f;
                }
                assertTrue(norm > 0, "no gradient reached " + e.getKey());
            }
        }
    }

    @Test
    void should_refuse_a_checkpoint_with_a_tensor_the_model_does_not_use() {
        Path llama = RandomCheckpoints.writeLlama(dir.resolve("llama"), RandomCheckpoints.LlamaSpec.tiny(), 6);
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (Checkpoint c = Checkpoint.open(llama)) {
            for (String name : c.tensorNames()) {
                values.put(name, c.loadFloats(name));
                shapes.put(name, c.info(name).shape());
            }
        }
        SafetensorsWriter w = SafetensorsWriter.create();
        values.forEach((k, v) -> w.addF32(k, v, shapes.get(k)));
        float[] extra = new float[5];
        Arrays.fill(extra, 0.5f);
        w.addF32("model.unused.weight", extra, 5);
        w.write(llama.resolve("model.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> WeightBinding.bind(llama, LlamaLanguageModel::load, lm -> lm.model().manager()));
        assertTrue(e.getMessage().contains("model.unused.weight"), e.getMessage());
    }

    @Test
    void should_save_a_folder_that_reloads_to_the_current_values() {
        Path llama = RandomCheckpoints.writeLlama(dir.resolve("llama"), RandomCheckpoints.LlamaSpec.tiny(), 7);
        WeightBinding<LlamaLanguageModel> binding =
                WeightBinding.bind(llama, LlamaLanguageModel::load, lm -> lm.model().manager());
        try (LlamaLanguageModel lm = binding.model()) {
            NDArray norm = binding.parameters().get("model.norm.weight");
            norm.muli(3);
            Path saved = binding.save(dir.resolve("saved"));
            try (Checkpoint c = Checkpoint.open(saved)) {
                float[] reloaded = c.loadFloats("model.norm.weight");
                for (float f : reloaded) {
                    assertEquals(3f, f);
                }
            }
            assertTrue(saved.resolve("tokenizer.json").toFile().isFile());
        }
    }
}
