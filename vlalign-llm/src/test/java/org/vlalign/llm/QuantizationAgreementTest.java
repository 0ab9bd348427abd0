package org.vlalign.llm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.WeightFormat;
import org.vlalign.core.generate.Generator;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.RandomWeights;
import org.vlalign.testing.TinyLlama;

/**
 * Quantised weights against fp32 on a random model of the 134M-parameter shape (vocab 32000, hidden 768,
 * MLP 2048, 12 layers, 12 heads; bf16 checkpoint, Hugging Face's initialisation: every weight N(0, 0.02),
 * norms 1), over every position of two 128-token prompts.
 *
 * <p>The issue's bar for the logits' cosine, 0.999 at every position, is asserted for Q8; bf16 storage of
 * a bf16 checkpoint is exact. Q4's figures are printed: on this random model they fall short of the bar
 * (see the closing note of the weight-format issue) and its rounding is checked against the format's own
 * bound in {@code MatrixTest}. Top-1 agreement is printed but asserted on trained models (the default
 * model, the parity cases), because a random model's logits over 32,000 tokens are close to Gaussian: the
 * gap between its two best tokens is often smaller than any 8-bit rounding noise, so top-1 flips there
 * measure near-ties, not the weights. The printed share of flips whose fp32 margin is under 5% of the
 * logits' standard deviation shows that.
 *
 * <p>The same comparison runs over the first 16 positions decoded one token at a time, where the products
 * take one vector and run in their own kernels; there Q4 rounds the vector to 8-bit codes per block, so its
 * decoding is also held to 0.999 against its own prefill.
 */
class QuantizationAgreementTest {
    @TempDir
    static Path tmp;

    @Test
    void should_keep_q8_logits_within_the_issue_cosine_and_bf16_exact() throws IOException {
        Path dir = TinyLlama.builder().sizes(32000, 768, 2048, 12, 12).maxPos(256).dtype(RandomWeights.Dtype.BF16)
                .hfInit(0.02)
                .write(tmp.resolve("m134"));
        Random r = new Random(7);
        DecoderInput[] prompts = new DecoderInput[2];
        int[][] tokens = new int[prompts.length][128];
        for (int p = 0; p < prompts.length; p++) {
            for (int i = 0; i < tokens[p].length; i++) {
                tokens[p][i] = 1 + r.nextInt(31999);
            }
            prompts[p] = DecoderInput.ofTokens(tokens[p]);
        }
        float[][][] reference = logits(dir, WeightFormat.FP32, prompts);
        check(reference, logits(dir, WeightFormat.BF16, prompts), "BF16 vs FP32", 0.999999);
        check(reference, logits(dir, WeightFormat.Q8, prompts), "Q8 vs FP32", 0.999);
        float[][][] q4Prefill = logits(dir, WeightFormat.Q4, prompts);
        check(reference, q4Prefill, "Q4 vs FP32", 0);
        // Decoding multiplies one vector at a time, in kernels of its own (Q4's rounds the vector to 8 bits)
        float[][][] reference16 = decodedLogits(dir, WeightFormat.FP32, tokens, 16);
        check(reference16, decodedLogits(dir, WeightFormat.Q8, tokens, 16), "Q8 decoding vs FP32 decoding", 0.999);
        float[][][] q4 = decodedLogits(dir, WeightFormat.Q4, tokens, 16);
        check(reference16, q4, "Q4 decoding vs FP32 decoding", 0);
        check(firstPositions(q4Prefill, 16), q4, "Q4 decoding vs Q4 prefill", 0.999);
    }

    /** Each prompt's logits at its first {@code n} positions (a causal model's later tokens do not change them). */
    private static float[][][] firstPositions(float[][][] logits, int n) {
        float[][][] out = new float[logits.length][][];
        for (int p = 0; p < logits.length; p++) {
            out[p] = java.util.Arrays.copyOf(logits[p], n);
        }
        return out;
    }

    /** Logits at the first {@code positions} positions, each computed by a one-token step after the first. */
    private static float[][][] decodedLogits(Path dir, WeightFormat f, int[][] prompts, int positions) {
        try (Llama lm = Llama.load(dir, new LlmOptions(f, 2))) {
            float[][][] out = new float[prompts.length][positions][];
            for (int p = 0; p < prompts.length; p++) {
                int[] ids = prompts[p];
                lm.clearPrefixCache();
                try (Decoder decoder = lm.newDecoder()) {
                    out[p][0] = decoder.prefill(List.of(DecoderInput.ofTokens(ids[0])))[0];
                    for (int i = 1; i < positions; i++) {
                        out[p][i] = decoder.step(new int[] {ids[i]})[0];
                    }
                }
            }
            return out;
        }
    }

    private static float[][][] logits(Path dir, WeightFormat f, DecoderInput[] prompts) {
        try (Llama lm = Llama.load(dir, new LlmOptions(f, 2))) {
            float[][][] out = new float[prompts.length][][];
            for (int p = 0; p < prompts.length; p++) {
                out[p] = lm.logitsAtEveryPosition(prompts[p]);
            }
            return out;
        }
    }

    private static void check(float[][][] ref, float[][][] got, String what, double minCosine) {
        double worst = 1;
        int agree = 0;
        int total = 0;
        int nearTies = 0;
        for (int p = 0; p < ref.length; p++) {
            for (int i = 0; i < ref[p].length; i++) {
                worst = Math.min(worst, cosine(ref[p][i], got[p][i]));
                total++;
                if (Generator.argmax(ref[p][i]) == Generator.argmax(got[p][i])) {
                    agree++;
                } else if (margin(ref[p][i]) < 0.05 * std(ref[p][i])) {
                    nearTies++;
                }
            }
        }
        System.out.printf("%s over %d positions: min cosine %.6f, top-1 agreement %.4f (%d of %d flips at"
                + " near-ties)%n", what, total, worst, (double) agree / total, nearTies, total - agree);
        assertTrue(worst >= minCosine, what + ": min cosine " + worst + " < " + minCosine);
    }

    /** The fp32 logit gap between the best and second-best token. */
    static double margin(float[] v) {
        float best = Float.NEGATIVE_INFINITY;
        float second = Float.NEGATIVE_INFINITY;
        for (float f : v) {
            if (f > best) {
                second = best;
                best = f;
            } else if (f > second) {
                second = f;
            }
        }
        return best - second;
    }

    static double std(float[] v) {
        double s = 0;
        double ss = 0;
        for (float f : v) {
            s += f;
            ss += (double) f * f;
        }
        double mean = s / v.length;
        return Math.sqrt(ss / v.length - mean * mean);
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }
}
