package org.vlalign.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.vlalign.Answer;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.Prompt;
import org.vlalign.spi.DecoderInput;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.torch.internal.llama.LlamaDecoder;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * Llama throughput: prefill (128-token prompts), greedy decode with the KV cache (64 new tokens after a
 * 16-token prompt), the same decode without a cache (paired variant, 16 new tokens) and beam search
 * (4 beams × 32 tokens).
 *
 * <p>The model is a ~110M-parameter config (hidden 768, 12 layers, 12 heads, intermediate 2048, vocab
 * 32000) with random bf16 weights written to a temporary checkpoint in {@code @Setup} and loaded
 * through the normal path (bf16 → fp32); {@code -Dvlalign.bench.checkpoint=<folder>} benchmarks a real
 * Llama folder instead. The {@code tokens} counter is generated (or prefilled) tokens per second over
 * all rows. {@code @Setup} prints the roofline measured in the same JVM and the model's limits:
 * prefill ≤ matmul GFLOP/s ÷ (2 × parameters) and batch-1 decode ≤ gemv GB/s ÷ fp32 weight bytes.
 *
 * @since 0.1.0
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Warmup: two 10 s iterations let the JIT compile the Java side and PyTorch size its thread pool and
// allocator caches; one decode invocation takes ~1 s, so shorter iterations would hold too few calls.
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 10)
// One fork: the model load costs seconds and ~1 GB; native pools do not drift between forks, and the
// variance that matters here (machine load) is visible across iterations.
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dai.djl.offline=true"})
public class LlamaBenchmark {

    /** The model shared by every benchmark thread. */
    @State(Scope.Benchmark)
    public static class Model {
        /** Rows per call; an odd value checks that batching is not tuned to powers of two. */
        @Param({"1", "3"})
        public int batch;

        LlamaLanguageModel lm;
        Path tempDir;

        /** Loads the checkpoint (or writes and loads a random one) and prints the roofline. */
        @Setup(Level.Trial)
        public void setup() throws IOException {
            String dir = System.getProperty("vlalign.bench.checkpoint");
            if (dir != null && !dir.isBlank()) {
                lm = LlamaLanguageModel.load(Path.of(dir));
            } else {
                tempDir = Files.createTempDirectory("vlalign-llama-bench");
                writeRandomCheckpoint(tempDir);
                lm = LlamaLanguageModel.load(tempDir);
                deleteRecursively(tempDir);
            }
            LlamaConfig c = lm.model().config();
            double params = parameters(c);
            double flopsPerToken = 2 * params;
            double weightBytes = 4 * params;
            double prefillLimit = Roofline.matmulGflops() * 1e9 / flopsPerToken;
            double decodeLimit = Roofline.gemvGbs() * 1e9 / weightBytes;
            System.out.println();
            System.out.println(Roofline.summary());
            System.out.printf(Locale.ROOT, "model: %s, %.1fM matmul parameters (incl. LM head), %.2f GFLOP/token,"
                    + " %.0f MB fp32 weights read per decode step%n", c, params / 1e6, flopsPerToken / 1e9,
                    weightBytes / 1e6);
            System.out.printf(Locale.ROOT, "limits: prefill <= %.0f tokens/s (compute), batch-1 decode <= %.0f tokens/s"
                    + " (weight streaming)%n", prefillLimit, decodeLimit);
            // sanity check of the result: a greedy answer has the requested length
            Answer a = lm.generate(Prompt.builder().tokens(prompt(16, 0)).build(), exactly(4, null));
            if (a.tokenIds().length != 4) {
                throw new IllegalStateException("expected 4 generated tokens but got " + a.tokenIds().length);
            }
        }

        /** Releases the weights. */
        @TearDown(Level.Trial)
        public void tearDown() {
            lm.close();
        }
    }

    /** Tokens processed, reported by JMH as tokens per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        /** Tokens prefilled or generated. */
        public long tokens;

        /** Resets per iteration. */
        @Setup(Level.Iteration)
        public void reset() {
            tokens = 0;
        }
    }

    /** Number of matmul parameters: every linear layer and the LM head (embedding lookups are free). */
    static double parameters(LlamaConfig c) {
        double h = c.hiddenSize();
        double q = (double) c.numAttentionHeads() * c.headDim();
        double kv = (double) c.numKeyValueHeads() * c.headDim();
        double layer = h * q * 2 + h * kv * 2 + 3 * h * c.intermediateSize();
        return c.numHiddenLayers() * layer + h * c.vocabSize();
    }

    static int[] prompt(int length, int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = 3 + r.nextInt(1000);
        }
        return ids;
    }

    /** Exactly {@code n} new tokens (eos suppressed by minNewTokens). */
    static GenerationConfig exactly(int n, DecodingStrategy strategy) {
        GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(n).minNewTokens(n);
        if (strategy != null) {
            b.strategy(strategy);
        }
        return b.build();
    }

    private static List<Prompt> prompts(int batch, int length) {
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            out.add(Prompt.builder().tokens(prompt(length, i)).build());
        }
        return out;
    }

    /**
     * Prefill of {@code batch} × 128-token prompts: the logits of the last position.
     *
     * @param m the model
     * @param n the counters
     * @return a logit, so the work is not eliminated
     */
    @Benchmark
    public float prefill128(Model m, Counters n) {
        List<DecoderInput> rows = new ArrayList<>();
        for (int i = 0; i < m.batch; i++) {
            rows.add(DecoderInput.ofTokens(prompt(128, i)));
        }
        try (LlamaDecoder d = new LlamaDecoder(m.lm.model())) {
            float[][] logits = d.prefill(rows);
            n.tokens += 128L * m.batch;
            return logits[0][0];
        }
    }

    /**
     * Greedy decode with the KV cache: 64 new tokens per row after a 16-token prompt (prefill included).
     *
     * @param m the model
     * @param n the counters
     * @return the last token, so the work is not eliminated
     */
    @Benchmark
    public int decode64(Model m, Counters n) {
        List<Answer> answers = m.lm.generateBatch(prompts(m.batch, 16), exactly(64, null));
        n.tokens += 64L * m.batch;
        return answers.get(0).tokenIds()[63];
    }

    /**
     * The paired variant without a KV cache: each of 16 new tokens reruns the whole sequence.
     *
     * @param m the model
     * @param n the counters
     * @return the last token
     */
    @Benchmark
    public int decode16NoCache(Model m, Counters n) {
        LlamaModel model = m.lm.model();
        int b = m.batch;
        long[][] ids = new long[b][];
        for (int i = 0; i < b; i++) {
            ids[i] = java.util.Arrays.stream(prompt(16, i)).asLongStream().toArray();
        }
        int last = 0;
        for (int step = 0; step < 16; step++) {
            long[][] mask = new long[b][ids[0].length];
            for (long[] row : mask) {
                java.util.Arrays.fill(row, 1);
            }
            float[][] logits;
            try (ai.djl.ndarray.NDManager call = model.manager().newSubManager()) {
                logits = model.lastLogits(model.embedTokens(call, ids), mask, null, null);
            }
            for (int i = 0; i < b; i++) {
                last = argmax(logits[i]);
                ids[i] = java.util.Arrays.copyOf(ids[i], ids[i].length + 1);
                ids[i][ids[i].length - 1] = last;
            }
        }
        n.tokens += 16L * b;
        return last;
    }

    /**
     * Beam search, 4 beams × 32 new tokens per row (the counter counts output tokens, not beam rows).
     *
     * @param m the model
     * @param n the counters
     * @return the best sequence's score
     */
    @Benchmark
    public double beam4x32(Model m, Counters n) {
        List<Answer> answers = m.lm.generateBatch(prompts(m.batch, 16), exactly(32, DecodingStrategy.Beam.of(4)));
        n.tokens += 32L * m.batch;
        return answers.get(0).score();
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Writes a random bf16 Llama checkpoint with the ~110M config. */
    static void writeRandomCheckpoint(Path dir) throws IOException {
        int vocab = 32000;
        int hidden = 768;
        int layers = 12;
        int heads = 12;
        int inter = 2048;
        String config = String.format(Locale.ROOT, "{\"model_type\": \"llama\", \"vocab_size\": %d, \"hidden_size\": %d,"
                + " \"intermediate_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d,"
                + " \"max_position_embeddings\": 512, \"pad_token_id\": 0, \"torch_dtype\": \"bfloat16\"}",
                vocab, hidden, inter, layers, heads);
        Files.writeString(dir.resolve("config.json"), config, StandardCharsets.UTF_8);
        SplittableRandom r = new SplittableRandom(7);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        w.addBf16("model.embed_tokens.weight", random(r, vocab * hidden, 1.0), vocab, hidden);
        for (int i = 0; i < layers; i++) {
            String p = "model.layers." + i + ".";
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "o_proj"}) {
                w.addBf16(p + "self_attn." + proj + ".weight", random(r, hidden * hidden, 1 / Math.sqrt(hidden)),
                        hidden, hidden);
            }
            w.addBf16(p + "mlp.gate_proj.weight", random(r, inter * hidden, 1 / Math.sqrt(hidden)), inter, hidden);
            w.addBf16(p + "mlp.up_proj.weight", random(r, inter * hidden, 1 / Math.sqrt(hidden)), inter, hidden);
            w.addBf16(p + "mlp.down_proj.weight", random(r, inter * hidden, 1 / Math.sqrt(inter)), hidden, inter);
            w.addBf16(p + "input_layernorm.weight", ones(hidden), hidden);
            w.addBf16(p + "post_attention_layernorm.weight", ones(hidden), hidden);
        }
        w.addBf16("model.norm.weight", ones(hidden), hidden);
        w.addBf16("lm_head.weight", random(r, vocab * hidden, 1 / Math.sqrt(hidden)), vocab, hidden);
        w.write(dir.resolve("model.safetensors"));
    }

    /** Uniform values with the given standard deviation (cheaper than Gaussian for 100M draws). */
    private static float[] random(SplittableRandom r, int n, double std) {
        float[] v = new float[n];
        double a = std * Math.sqrt(3);
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * a);
        }
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
