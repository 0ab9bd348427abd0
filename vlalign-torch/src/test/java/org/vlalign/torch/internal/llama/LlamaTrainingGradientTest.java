package org.vlalign.torch.internal.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.vlalign.llm.LlamaConfig;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.testing.TinyLlama;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.NativeMemoryChurn;
import org.vlalign.torch.internal.NdArrays;

class LlamaTrainingGradientTest {

    @TempDir
    Path tmp;

    @Test
    void should_give_the_same_input_gradient_when_freed_java_memory_is_reused_before_backward() throws Exception {
        Path dir = TinyLlama.builder().seed(3).write(tmp.resolve("llama"));
        try (TorchCheckpoint c = TorchCheckpoint.open(dir);
                LlamaModel model = LlamaModel.load(c, "", LlamaConfig.fromJson(c.config()))) {
            float[] quiet = inputGradient(model, false);
            float[] churned = inputGradient(model, true);
            for (float g : quiet) {
                assertTrue(Float.isFinite(g), "gradient without churn must be finite");
            }
            assertTrue(maxAbs(quiet) > 0, "the gradient must not vanish");
            assertArrayEquals(quiet, churned, "the backward pass read memory freed after the forward pass");
        }
    }

    @Test
    void should_compute_the_same_logits_as_the_inference_forward_pass() throws Exception {
        Path dir = TinyLlama.builder().seed(4).write(tmp.resolve("llama"));
        try (TorchCheckpoint c = TorchCheckpoint.open(dir);
                LlamaModel model = LlamaModel.load(c, "", LlamaConfig.fromJson(c.config()));
                NDManager owner = model.manager().newSubManager()) {
            long[][] ids = {{1, 5, 9, 3, 7, 11, 5, 9}};
            long[][] mask = {{1, 1, 1, 1, 1, 1, 1, 1}};
            NDArray embeds = model.embedTokens(owner, ids); // (1, 8, hidden)
            float[] inference = model.forward(embeds, mask, null, null); // (1, 8, vocab)
            float[] training = model.logits(model.trainingHiddenStates(owner, embeds, mask)).toFloatArray();
            assertEquals(inference.length, training.length);
            for (int i = 0; i < inference.length; i++) {
                assertEquals(inference[i], training[i], 1e-5, "logit " + i);
            }
        }
    }

    /** d(sum(w · hiddenStates))/d(inputsEmbeds) for fixed random embeddings and weights. */
    private static float[] inputGradient(LlamaModel model, boolean churn) throws InterruptedException {
        int b = 2;
        int l = 5;
        int hidden = model.config().hiddenSize();
        Random r = new Random(11);
        float[] embeds = new float[b * l * hidden];
        float[] weights = new float[embeds.length];
        for (int i = 0; i < embeds.length; i++) {
            embeds[i] = (float) r.nextGaussian();
            weights[i] = (float) r.nextGaussian();
        }
        long[][] mask = {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}};
        try (NDManager owner = model.manager().newSubManager()) {
            NDArray x = NdArrays.floats(owner, embeds, b, l, hidden); // (batch, seq, hidden)
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray states = model.trainingHiddenStates(owner, x, mask); // (batch, seq, hidden)
                NDArray loss = states.mul(NdArrays.floats(owner, weights, b, l, hidden)).sum(); // ()
                NativeMemoryChurn keep = churn ? new NativeMemoryChurn().run() : null;
                collector.backward(loss);
                if (keep != null) {
                    assertTrue(keep.size() > 0);
                }
            }
            return x.getGradient().toFloatArray();
        }
    }

    private static double maxAbs(float[] v) {
        double m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }
}
