package org.vlalign.llm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.WeightFormat;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.llm.LlmOptions;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.TinyLlama;

/**
 * The attention a {@link LlamaSession} records equals a brute-force recomputation: a naive float32 Llama
 * forward written here from the checkpoint's tensors (RMSNorm, q/k/v, rotate-half RoPE, grouped-query softmax
 * attention, SiLU MLP), whose softmax probabilities to the image positions are averaged over every layer and
 * head; with the prefix cache on, a second prompt that reuses the image's positions records what a cold
 * session records.
 */
class LlamaSessionAttentionTest {
    private static final int HIDDEN = 32;
    private static final int IMAGE_ROWS = 37; // more than two cache blocks
    private static final int IMAGE_FROM = 1; // after BOS
    @TempDir
    static Path dir;
    private static Llama cold;

    @BeforeAll
    static void writeModel() {
        TinyLlama.builder().kvHeads(2).maxPos(256).write(dir);
        cold = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 2).withPrefixCache(0));
    }

    @AfterAll
    static void close() {
        cold.close();
    }

    private static float[] image(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] data = new float[IMAGE_ROWS * HIDDEN];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return data;
    }

    private static DecoderInput prompt(float[] image, int... question) {
        return new DecoderInput(List.of(new DecoderInput.Tokens(new int[] {1}),
                new DecoderInput.Embeddings(Features.of(image, IMAGE_ROWS, HIDDEN)), new DecoderInput.Tokens(question)));
    }

    /** Prefills, steps the given tokens, and returns the recorded attention. */
    private static float[][] record(Llama lm, DecoderInput in, int... steps) {
        try (LlamaSession s = (LlamaSession) lm.newDecoder()) {
            s.recordAttention(IMAGE_FROM, IMAGE_FROM + IMAGE_ROWS);
            s.prefill(List.of(in));
            for (int t : steps) {
                s.step(new int[] {t});
            }
            return s.attention();
        }
    }

    @Test
    void should_record_the_attention_a_naive_forward_computes_averaged_over_layers_and_heads() throws Exception {
        float[] img = image(3);
        int[] question = {5, 6, 7};
        int[] steps = {9, 10, 11, 12};
        float[][] got = record(cold, prompt(img, question), steps);

        int promptLength = 1 + IMAGE_ROWS + question.length;
        assertEquals(1 + steps.length, got.length, "one row for the prefill's last position and one per step");
        float[][] x = new float[promptLength + steps.length][];
        float[] embed;
        try (Checkpoint c = Checkpoint.open(dir)) {
            embed = c.loadFloats("model.embed_tokens.weight");
        }
        int p = 0;
        x[p++] = row(embed, 1);
        for (int i = 0; i < IMAGE_ROWS; i++) {
            x[p++] = java.util.Arrays.copyOfRange(img, i * HIDDEN, (i + 1) * HIDDEN);
        }
        for (int t : question) {
            x[p++] = row(embed, t);
        }
        for (int t : steps) {
            x[p++] = row(embed, t);
        }
        float[][][] probs = naiveAttention(x); // [query position][key position] averaged over layers and heads
        for (int i = 0; i < got.length; i++) {
            int query = promptLength - 1 + i;
            for (int k = 0; k < IMAGE_ROWS; k++) {
                assertEquals(probs[query][IMAGE_FROM + k][0], got[i][k], 2e-6,
                        "token " + i + ", image position " + k);
            }
        }
    }

    @Test
    void should_record_the_attention_of_a_prompt_longer_than_one_forward_pass(@TempDir Path longDir)
            throws Exception {
        // LLaVA-1.5's 576 image rows make a prompt that the session splits into passes of 512 positions
        int rows = LlamaSession.MAX_STEPS_PER_PASS + 40;
        TinyLlama.builder().kvHeads(2).maxPos(rows + 16).write(longDir);
        try (Llama lm = Llama.load(longDir, new LlmOptions(WeightFormat.FP32, 2).withPrefixCache(0))) {
            SplittableRandom r = new SplittableRandom(8);
            float[] img = new float[rows * HIDDEN];
            for (int i = 0; i < img.length; i++) {
                img[i] = (float) r.nextGaussian();
            }
            DecoderInput in = new DecoderInput(List.of(new DecoderInput.Tokens(new int[] {1}),
                    new DecoderInput.Embeddings(Features.of(img, rows, HIDDEN)), new DecoderInput.Tokens(new int[] {5})));
            float[][] got;
            try (LlamaSession s = (LlamaSession) lm.newDecoder()) {
                s.recordAttention(1, 1 + rows);
                s.prefill(List.of(in));
                s.step(new int[] {6});
                got = s.attention();
            }
            float[] embed;
            try (Checkpoint c = Checkpoint.open(longDir)) {
                embed = c.loadFloats("model.embed_tokens.weight");
            }
            float[][] x = new float[rows + 3][];
            x[0] = row(embed, 1);
            for (int i = 0; i < rows; i++) {
                x[1 + i] = java.util.Arrays.copyOfRange(img, i * HIDDEN, (i + 1) * HIDDEN);
            }
            x[rows + 1] = row(embed, 5);
            x[rows + 2] = row(embed, 6);
            float[][][] probs = naiveAttention(x, longDir, lm.config());
            assertEquals(2, got.length);
            for (int t = 0; t < 2; t++) {
                for (int k = 0; k < rows; k++) {
                    assertEquals(probs[rows + 1 + t][1 + k][0], got[t][k], 2e-6, "token " + t + ", image row " + k);
                }
            }
        }
    }

    @Test
    void should_record_the_same_attention_when_the_prefix_cache_reuses_the_image() {
        float[] img = image(4);
        try (Llama cached = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 2))) {
            record(cached, prompt(img, 5, 6, 7), 8); // keeps the image's positions
            float[][] warm = record(cached, prompt(img, 9, 10), 11, 12);
            assertTrue(cached.prefixCacheStats().hits() >= 1, "the second prompt must reuse the first's positions");
            float[][] fresh = record(cold, prompt(img, 9, 10), 11, 12);
            assertEquals(fresh.length, warm.length);
            for (int i = 0; i < fresh.length; i++) {
                for (int k = 0; k < IMAGE_ROWS; k++) {
                    assertEquals(fresh[i][k], warm[i][k], 1e-6f, "token " + i + ", image position " + k);
                }
            }
        }
    }

    @Test
    void should_refuse_several_rows_while_recording() {
        float[] img = image(5);
        try (LlamaSession s = (LlamaSession) cold.newDecoder()) {
            s.recordAttention(IMAGE_FROM, IMAGE_FROM + IMAGE_ROWS);
            assertThrows(InvalidArgumentException.class,
                    () -> s.prefill(List.of(prompt(img, 5), prompt(img, 6))));
        }
        try (LlamaSession s = (LlamaSession) cold.newDecoder()) {
            s.recordAttention(IMAGE_FROM, IMAGE_FROM + IMAGE_ROWS);
            s.prefill(List.of(prompt(img, 5)));
            assertThrows(InvalidArgumentException.class, () -> s.reorder(new int[] {0, 0}));
        }
    }

    @Test
    void should_not_record_without_being_asked() {
        try (LlamaSession s = (LlamaSession) cold.newDecoder()) {
            s.prefill(List.of(prompt(image(6), 5)));
            assertThrows(IllegalStateException.class, s::attention);
        }
    }

    private static float[] row(float[] m, int r) {
        return java.util.Arrays.copyOfRange(m, r * HIDDEN, (r + 1) * HIDDEN);
    }

    /**
     * A naive causal Llama forward over all positions at once; returns, for every query position and key
     * position, the softmax probability averaged over layers and heads (in {@code [q][k][0]}).
     */
    private static float[][][] naiveAttention(float[][] input) throws Exception {
        return naiveAttention(input, dir, cold.config());
    }

    private static float[][][] naiveAttention(float[][] input, Path dir, LlamaConfig c) throws Exception {
        int n = input.length;
        int heads = c.numAttentionHeads();
        int kvHeads = c.numKeyValueHeads();
        int d = c.headDim();
        int layers = c.numHiddenLayers();
        double[][] mean = new double[n][n];
        float[][] x = new float[n][];
        for (int i = 0; i < n; i++) {
            x[i] = input[i].clone();
        }
        try (Checkpoint ck = Checkpoint.open(dir)) {
            for (int l = 0; l < layers; l++) {
                String pre = "model.layers." + l + ".";
                float[][] h = norm(x, ck.loadFloats(pre + "input_layernorm.weight"), c.rmsNormEps());
                float[][] q = mul(h, ck.loadFloats(pre + "self_attn.q_proj.weight"), heads * d);
                float[][] k = mul(h, ck.loadFloats(pre + "self_attn.k_proj.weight"), kvHeads * d);
                float[][] v = mul(h, ck.loadFloats(pre + "self_attn.v_proj.weight"), kvHeads * d);
                rope(q, heads, d, c.ropeTheta());
                rope(k, kvHeads, d, c.ropeTheta());
                float[][] att = new float[n][heads * d];
                for (int head = 0; head < heads; head++) {
                    int kvh = head / (heads / kvHeads);
                    for (int i = 0; i < n; i++) {
                        double[] s = new double[i + 1];
                        double max = Double.NEGATIVE_INFINITY;
                        for (int j = 0; j <= i; j++) {
                            double dot = 0;
                            for (int e = 0; e < d; e++) {
                                dot += q[i][head * d + e] * k[j][kvh * d + e];
                            }
                            s[j] = dot / Math.sqrt(d);
                            max = Math.max(max, s[j]);
                        }
                        double sum = 0;
                        for (int j = 0; j <= i; j++) {
                            s[j] = Math.exp(s[j] - max);
                            sum += s[j];
                        }
                        for (int j = 0; j <= i; j++) {
                            double prob = s[j] / sum;
                            mean[i][j] += prob / (layers * heads);
                            for (int e = 0; e < d; e++) {
                                att[i][head * d + e] += (float) (prob * v[j][kvh * d + e]);
                            }
                        }
                    }
                }
                add(x, mul(att, ck.loadFloats(pre + "self_attn.o_proj.weight"), c.hiddenSize()));
                float[][] h2 = norm(x, ck.loadFloats(pre + "post_attention_layernorm.weight"), c.rmsNormEps());
                float[][] gate = mul(h2, ck.loadFloats(pre + "mlp.gate_proj.weight"), c.intermediateSize());
                float[][] up = mul(h2, ck.loadFloats(pre + "mlp.up_proj.weight"), c.intermediateSize());
                for (int i = 0; i < n; i++) {
                    for (int e = 0; e < gate[i].length; e++) {
                        float g = gate[i][e];
                        gate[i][e] = (float) (g / (1 + Math.exp(-g))) * up[i][e];
                    }
                }
                add(x, mul(gate, ck.loadFloats(pre + "mlp.down_proj.weight"), c.hiddenSize()));
            }
        }
        float[][][] out = new float[n][n][1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out[i][j][0] = (float) mean[i][j];
            }
        }
        return out;
    }

    private static float[][] norm(float[][] x, float[] w, double eps) {
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            double ss = 0;
            for (float f : x[i]) {
                ss += f * f;
            }
            double inv = 1 / Math.sqrt(ss / x[i].length + eps);
            out[i] = new float[x[i].length];
            for (int e = 0; e < x[i].length; e++) {
                out[i][e] = (float) (w[e] * x[i][e] * inv);
            }
        }
        return out;
    }

    /** {@code x W^T} with W stored {@code (rows, cols)}. */
    private static float[][] mul(float[][] x, float[] w, int rows) {
        int cols = w.length / rows;
        float[][] out = new float[x.length][rows];
        for (int i = 0; i < x.length; i++) {
            for (int r = 0; r < rows; r++) {
                double acc = 0;
                for (int e = 0; e < cols; e++) {
                    acc += x[i][e] * w[r * cols + e];
                }
                out[i][r] = (float) acc;
            }
        }
        return out;
    }

    /** Hugging Face's rotate_half RoPE at each row's index as its position. */
    private static void rope(float[][] t, int nHeads, int d, double theta) {
        int half = d / 2;
        for (int pos = 0; pos < t.length; pos++) {
            for (int i = 0; i < half; i++) {
                double angle = pos / Math.pow(theta, 2.0 * i / d);
                double c = Math.cos(angle);
                double s = Math.sin(angle);
                for (int h = 0; h < nHeads; h++) {
                    int o = h * d;
                    float a = t[pos][o + i];
                    float b = t[pos][o + half + i];
                    t[pos][o + i] = (float) (a * c - b * s);
                    t[pos][o + half + i] = (float) (b * c + a * s);
                }
            }
        }
    }

    private static void add(float[][] x, float[][] y) {
        for (int i = 0; i < x.length; i++) {
            for (int e = 0; e < x[i].length; e++) {
                x[i][e] += y[i][e];
            }
        }
    }
}
