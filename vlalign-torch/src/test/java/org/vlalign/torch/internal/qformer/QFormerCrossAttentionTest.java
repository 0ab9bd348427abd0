package org.vlalign.torch.internal.qformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.spi.PatchAttention;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyBlip;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;

/**
 * The Q-Former's cross-attention probabilities: one block's equal a brute-force softmax of {@code q·k/√d}
 * computed here from the checkpoint's weights, averaged over heads; the extractor's patch attention is their
 * mean over the cross-attending layers without the CLS column, beside the same features {@code extract}
 * gives.
 */
class QFormerCrossAttentionTest {
    @TempDir Path tmp;

    @Test
    void should_hand_out_the_head_averaged_softmax_of_a_brute_force_recomputation() {
        Path dir = TinyBlip.write(tmp.resolve("b"), Kind.BLIP2_MODEL, 61, 1);
        try (BlipFeatureExtractor extractor = BlipFeatureExtractor.load(dir);
                NDManager call = extractor.newCallManager();
                TorchCheckpoint ckpt = TorchCheckpoint.open(dir);
                Checkpoint plain = Checkpoint.open(dir)) {
            QFormerConfig config = extractor.config().qformer();
            QFormerAttention block = QFormerAttention.load(ckpt, "qformer.", 0, "crossattention", config, call);
            int seq = TinyBlip.QUERIES;
            int kvSeq = 5;
            NDArray hidden = call.randomNormal(new Shape(1, seq, TinyBlip.QFORMER_HIDDEN));
            NDArray kv = call.randomNormal(new Shape(1, kvSeq, TinyBlip.VISION_HIDDEN));
            List<NDArray> probs = new ArrayList<>();
            block.forward(hidden, kv, null, probs);
            assertEquals(1, probs.size());
            assertArrayEquals(new long[] {1, seq, kvSeq}, probs.get(0).getShape().getShape());
            float[] got = probs.get(0).toFloatArray();

            String pre = "qformer.encoder.layer.0.crossattention.attention.";
            float[][] q = linear(hidden.toFloatArray(), seq, plain.loadFloats(pre + "query.weight"),
                    plain.loadFloats(pre + "query.bias"));
            float[][] k = linear(kv.toFloatArray(), kvSeq, plain.loadFloats(pre + "key.weight"),
                    plain.loadFloats(pre + "key.bias"));
            int heads = config.numAttentionHeads();
            int d = config.headDim();
            for (int i = 0; i < seq; i++) {
                double[] mean = new double[kvSeq];
                for (int h = 0; h < heads; h++) {
                    double[] s = new double[kvSeq];
                    double sum = 0;
                    for (int j = 0; j < kvSeq; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) {
                            dot += q[i][h * d + e] * k[j][h * d + e];
                        }
                        s[j] = Math.exp(dot / Math.sqrt(d));
                        sum += s[j];
                    }
                    for (int j = 0; j < kvSeq; j++) {
                        mean[j] += s[j] / sum / heads;
                    }
                }
                for (int j = 0; j < kvSeq; j++) {
                    assertEquals(mean[j], got[i * kvSeq + j], 1e-5, "query " + i + ", position " + j);
                }
            }
        }
    }

    @Test
    void should_average_the_cross_attending_layers_and_leave_out_cls() {
        for (int frequency : new int[] {1, 2}) {
            Path dir = TinyBlip.write(tmp.resolve("f" + frequency), Kind.BLIP2_MODEL, 62, frequency);
            try (BlipFeatureExtractor extractor = BlipFeatureExtractor.load(dir)) {
                ImageInput image = TestImages.gradient(5, 20, 14);
                PatchAttention pa = extractor.extractWithPatchAttention(image, "");
                Features plain = extractor.extract(image);
                assertArrayEquals(plain.data(), pa.features().data(), 1e-6f, "the same features as extract");
                int grid = TinyBlip.IMAGE / TinyBlip.PATCH;
                assertEquals(grid, pa.gridWidth());
                assertEquals(grid, pa.gridHeight());

                float[] expected;
                try (NDManager call = extractor.newCallManager()) {
                    NDArray vision = extractor.visionStates(call, extractor.pixelValues(call, List.of(image)));
                    List<NDArray> layers = new ArrayList<>();
                    extractor.qformer().forward(call, extractor.queryTokens(call, 1), null, null, vision, layers);
                    assertEquals(frequency == 1 ? 2 : 1, layers.size(), "one entry per cross-attending layer");
                    int positions = grid * grid + 1;
                    expected = new float[TinyBlip.QUERIES * grid * grid];
                    for (NDArray layer : layers) {
                        float[] p = layer.toFloatArray(); // (1, queries, 1 + patches)
                        for (int qi = 0; qi < TinyBlip.QUERIES; qi++) {
                            for (int patch = 0; patch < grid * grid; patch++) {
                                expected[qi * grid * grid + patch] += p[qi * positions + 1 + patch] / layers.size();
                            }
                        }
                    }
                }
                float[] got = pa.rowToPatch();
                assertArrayEquals(expected, got, 1e-6f);
                for (int qi = 0; qi < TinyBlip.QUERIES; qi++) {
                    double sum = 0;
                    for (int patch = 0; patch < grid * grid; patch++) {
                        sum += got[qi * grid * grid + patch];
                    }
                    assertTrue(sum > 0 && sum < 1, "a query's patch share leaves out its CLS share: " + sum);
                }
            }
        }
    }

    /** {@code x W^T + b} for {@code rows} rows of x; W stored {@code (out, in)}. */
    private static float[][] linear(float[] x, int rows, float[] w, float[] b) {
        int out = b.length;
        int in = w.length / out;
        float[][] y = new float[rows][out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double acc = b[o];
                for (int e = 0; e < in; e++) {
                    acc += x[r * in + e] * w[o * in + e];
                }
                y[r][o] = (float) acc;
            }
        }
        return y;
    }
}
