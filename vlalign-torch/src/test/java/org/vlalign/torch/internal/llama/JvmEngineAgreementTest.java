package org.vlalign.torch.internal.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlalign.DecodingStrategy;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.WeightFormat;
import org.vlalign.core.generate.GenerationResult;
import org.vlalign.core.generate.Generator;
import org.vlalign.core.generate.SpecialTokens;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlmOptions;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.RandomWeights;
import org.vlalign.testing.TinyLlama;

/**
 * The JVM engine in fp32 computes what the torch Llama (itself checked against Hugging Face on the parity
 * cases) computes: the same logits for prompts of tokens and embeddings, batched and stepped, and the same
 * greedy and beam-search tokens, for every config option both support. The long prompt's prefill goes
 * through the libtorch matmul backend, the short ones and every step through the JVM kernels.
 */
class JvmEngineAgreementTest {
    @TempDir
    Path tmp;

    private static final Random R = new Random(20261201);

    private static TinyLlama variant(String name) {
        TinyLlama t = TinyLlama.builder().maxPos(128);
        return switch (name) {
            case "gqa" -> t.kvHeads(2);
            case "mha" -> t.kvHeads(4);
            case "tied" -> t.tied(true).kvHeads(2);
            case "bias" -> t.bias(true).kvHeads(2);
            case "bf16" -> t.dtype(RandomWeights.Dtype.BF16).kvHeads(1);
            case "f16" -> t.dtype(RandomWeights.Dtype.F16);
            case "linear" -> t.ropeScaling("linear", 2.0);
            case "dynamic" -> t.ropeScaling("dynamic", 2.0);
            case "llama3" -> t.llama3RopeScaling(8.0, 8);
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"gqa", "mha", "tied", "bias", "bf16", "f16", "linear", "dynamic", "llama3"})
    void should_give_the_torch_llamas_logits_and_tokens(String name) throws IOException {
        Path dir = variant(name).write(tmp.resolve(name));
        try (LlamaModel torch = LlamaModelTest.load(dir);
                Llama jvm = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 2))) {
            int vocab = torch.config().vocabSize();
            int hidden = torch.config().hiddenSize();
            // the first row is long enough for the libtorch matmul backend (32+ positions); the others are not
            List<DecoderInput> rows = List.of(
                    DecoderInput.ofTokens(ids(71, vocab)),
                    new DecoderInput(List.of(new DecoderInput.Tokens(new int[] {1}),
                            new DecoderInput.Embeddings(Features.of(gaussian(5 * hidden), 5, hidden)),
                            new DecoderInput.Tokens(ids(4, vocab)))),
                    DecoderInput.ofTokens(ids(2, vocab)));
            try (Decoder a = new LlamaDecoder(torch); Decoder b = jvm.newDecoder()) {
                compare(a.prefill(rows), b.prefill(rows), name + " prefill");
                for (int step = 0; step < 20; step++) {
                    int[] next = {R.nextInt(vocab), R.nextInt(vocab), R.nextInt(vocab)};
                    compare(a.step(next), b.step(next), name + " step " + step);
                    if (step == 7) {
                        int[] sources = {2, 0, 0};
                        a.reorder(sources);
                        b.reorder(sources);
                    }
                }
            }
            SpecialTokens special = SpecialTokens.of(0, new int[] {2});
            for (GenerationConfig cfg : List.of(
                    GenerationConfig.builder().maxNewTokens(12).build(),
                    GenerationConfig.builder().maxNewTokens(10).strategy(DecodingStrategy.Beam.of(3)).build())) {
                GenerationResult ra;
                GenerationResult rb;
                try (Decoder a = new LlamaDecoder(torch); Decoder b = jvm.newDecoder()) {
                    ra = Generator.generate(a, rows, cfg, special, ids -> "", null);
                    rb = Generator.generate(b, rows, cfg, special, ids -> "", null);
                }
                for (int r = 0; r < rows.size(); r++) {
                    assertArrayEquals(ra.row(r).best().tokenIds(), rb.row(r).best().tokenIds(),
                            name + " " + cfg.strategy() + " row " + r);
                }
            }
        }
    }

    private static int[] ids(int n, int vocab) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = 1 + R.nextInt(vocab - 1);
        }
        return out;
    }

    private static float[] gaussian(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) R.nextGaussian() * 0.5f;
        }
        return out;
    }

    /** Max |a − b| relative to the logits' spread: within float32 rounding of a different summation order. */
    private static void compare(float[][] torch, float[][] jvm, String what) {
        for (int r = 0; r < torch.length; r++) {
            double max = 0;
            double scale = 0;
            for (int i = 0; i < torch[r].length; i++) {
                max = Math.max(max, Math.abs(torch[r][i] - jvm[r][i]));
                scale = Math.max(scale, Math.abs(torch[r][i]));
            }
            assertTrue(max <= 2e-5 * Math.max(1, scale), what + " row " + r + ": max abs diff " + max + " (scale "
                    + scale + ")");
        }
    }
}
