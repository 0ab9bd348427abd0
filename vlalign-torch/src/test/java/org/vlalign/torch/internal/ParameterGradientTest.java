package org.vlalign.torch.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.ImageInput;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyBlip;
import org.vlalign.testing.TinyLlama;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * The named parameters are the very arrays the forward passes compute with: a gradient reaches each of
 * them (a copy made at load time would get none).
 */
class ParameterGradientTest {

    @TempDir
    Path dir;

    private static void assertEveryGradientNonZero(NamedParameters p, String skipPrefix) {
        for (Map.Entry<String, NDArray> e : p.asMap().entrySet()) {
            if (skipPrefix != null && e.getKey().startsWith(skipPrefix)) {
                continue;
            }
            try (NDArray g = e.getValue().getGradient()) {
                double norm = 0;
                for (float f : g.toFloatArray()) {
                    norm += f * f;
                }
                assertTrue(norm > 0, "no gradient reached " + e.getKey());
            }
        }
    }

    private static void setRequiresGradient(NamedParameters p, boolean on) {
        p.asMap().values().forEach(a -> a.setRequiresGradient(on));
    }

    @Test
    void should_let_gradients_reach_every_llama_weight_through_the_training_forward_pass() throws Exception {
        Path folder = TinyLlama.builder().seed(5).kvHeads(2).write(dir.resolve("llama"));
        try (LlamaLanguageModel lm = LlamaLanguageModel.load(folder)) {
            LlamaModel model = lm.model();
            setRequiresGradient(lm.parameters(), true);
            long[][] ids = {{1, 10, 20, 30, 2}};
            long[][] mask = {{1, 1, 1, 1, 1}};
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector();
                    NDManager call = model.manager().newSubManager()) {
                NDArray logits = model.logits(model.trainingHiddenStates(call, model.embedTokens(call, ids), mask));
                collector.backward(logits.logSoftmax(-1).get(":, :, 7").sum());
            }
            assertEveryGradientNonZero(lm.parameters(), null);
            setRequiresGradient(lm.parameters(), false);
        }
    }

    @Test
    void should_let_gradients_reach_every_vision_and_qformer_weight_through_the_contrastive_embeddings() {
        Path folder = TinyBlip.write(dir.resolve("blip"), TinyBlip.Kind.BLIP2_RETRIEVAL, 5L, 1);
        List<ImageInput> images = List.of(TestImages.gradient(1, 20, 18), TestImages.gradient(2, 16, 24));
        try (BlipFeatureExtractor fe = BlipFeatureExtractor.load(folder)) {
            setRequiresGradient(fe.parameters(), true);
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector();
                    NDManager call = fe.newCallManager()) {
                NDArray image = fe.imageEmbeds(call, fe.pixelValues(call, images)); // (2, queries, dim)
                NDArray text = fe.textEmbeds(call, new long[][] {{2, 5, 6}, {2, 7, 8}},
                        new long[][] {{1, 1, 1}, {1, 1, 0}}); // (2, dim)
                NDArray sim = image.matMul(text.transpose()).max(new int[] {1}); // (2, 2)
                NDArray signs = NdArrays.floats(call, new float[] {1, -1, -1, 1}, 2, 2);
                collector.backward(sim.mul(signs).sum());
            }
            assertEveryGradientNonZero(fe.parameters(), "itm_head."); // the contrastive loss does not use it
            setRequiresGradient(fe.parameters(), false);
        }
    }
}
