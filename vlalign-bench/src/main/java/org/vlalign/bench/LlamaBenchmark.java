package org.vlalign.bench;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.Prompt;
import org.vlalign.WeightFormat;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlamaConfig;
import org.vlalign.llm.LlmOptions;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;
import org.vlalign.torch.internal.llama.LlamaDecoder;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;

/**
 * Llama throughput in each weight format: prefill (128-token prompts), greedy decode with the KV cache
 * (64 new tokens after a 16-token prompt) and beam search (4 beams × 32 tokens).
 *
 * <p>{@code weights} (fp32, bf16, q8, q4) selects the JVM engine's format; {@code engine=torch} runs the
 * libtorch Llama instead (fp32 only), the baseline before the JVM engine. The model is the 134M-parameter
 * shape (hidden 768, 12 layers, 12 heads, MLP 2048, vocab 32000) written by {@link RandomCheckpoint} into a
 * temporary folder, or any Llama folder with {@code -Dvlalign.bench.checkpoint=<folder>} (the Llama-2-7B
 * shape: {@code RandomCheckpoint llama-2-7b DIR}). The {@code tokens} counter is tokens per second over all
 * rows. {@code @Setup} prints the limits measured in the same JVM: batch-1 decode ≤ the cores' read
 * bandwidth ÷ the weights' bytes, prefill ≤ libtorch's fp32 matmul rate ÷ (2 × parameters).
 *
 * @since 0.1.0
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Warmup: the JIT compiles the kernels within the first seconds; one 7B decode call takes tens of seconds,
// so iterations are long enough to hold whole calls.
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 10)
// One fork: the model load costs seconds to a minute; the variance that matters here (machine load) is
// visible across iterations.
@Fork(value = 1, jvmArgsAppend = {"-Xmx12g", "--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true"})
public class LlamaBenchmark {

    /** The model shared by every benchmark thread. */
    @State(Scope.Benchmark)
    public static class Model {
        /** Rows per call; an odd value checks that batching is not tuned to powers of two. */
        @Param({"1", "3"})
        public int batch;

        /** The JVM engine's weight format. */
        @Param({"fp32", "bf16", "q8", "q4"})
        public String weights;

        /** {@code jvm}, or {@code torch} for the libtorch baseline (fp32 weights only). */
        @Param({"jvm"})
        public String engine;

        /** Threads per forward pass (0: the engine's default). */
        @Param({"0"})
        public int threads;

        /**
         * A Llama folder to load instead of the random 134M checkpoint. A parameter rather than a system
         * property: {@code -jvmArgsAppend} on the command line replaces the fork's arguments, and with them
         * {@code --add-modules jdk.incubator.vector}, so the engine would silently run its scalar kernels.
         */
        @Param({""})
        public String checkpoint;

        LanguageModel lm;
        Path tempDir;

        /** Loads the checkpoint (or writes and loads a random one) and prints the limits. */
        @Setup(Level.Trial)
        public void setup() throws IOException {
            String dir = checkpoint.isBlank() ? System.getProperty("vlalign.bench.checkpoint") : checkpoint;
            Path folder;
            if (dir != null && !dir.isBlank()) {
                folder = Path.of(dir);
            } else {
                tempDir = Files.createTempDirectory("vlalign-llama-bench");
                folder = RandomCheckpoint.write("llama-134m", tempDir);
            }
            WeightFormat format = WeightFormat.valueOf(weights.toUpperCase(Locale.ROOT));
            long t0 = System.nanoTime();
            long weightBytes;
            LlamaConfig c;
            if (engine.equals("torch")) {
                if (format != WeightFormat.FP32) {
                    throw new InvalidArgumentException("engine=torch computes fp32 only; run it with -p weights=fp32");
                }
                LlamaLanguageModel torch = LlamaLanguageModel.load(folder);
                c = torch.model().config();
                weightBytes = (long) (4 * parametersWithEmbedding(c));
                lm = torch;
            } else {
                // no prefix cache: every call must compute its whole prompt
                Llama jvm = Llama.load(folder, new LlmOptions(format, threads).withPrefixCache(0));
                c = jvm.config();
                weightBytes = jvm.weightBytes();
                lm = jvm;
            }
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            double params = parameters(c);
            double prefillLimit = Roofline.matmulGflops() * 1e9 / (2 * params);
            double decodeLimit = Roofline.readGbs() * 1e9 / streamedBytes(lm, c, weightBytes);
            System.out.println();
            System.out.println(Roofline.summary());
            System.out.printf(Locale.ROOT, "model: %s %s, loaded in %.1f s; %.1fM matmul parameters, %.0f MB read per"
                    + " decode step%n", engine, lm, loadSeconds, params / 1e6, streamedBytes(lm, c, weightBytes) / 1e6);
            System.out.printf(Locale.ROOT, "limits: prefill <= %.0f tokens/s (fp32 matmul), batch-1 decode <= %.1f"
                    + " tokens/s (read bandwidth)%n", prefillLimit, decodeLimit);
            // sanity check of the result: a greedy answer has the requested length
            Answer a = lm.generate(Prompt.builder().tokens(prompt(16, 0)).build(), exactly(4, null));
            if (a.tokenIds().length != 4) {
                throw new IllegalStateException("expected 4 generated tokens but got " + a.tokenIds().length);
            }
        }

        /** Releases the weights and the temporary checkpoint. */
        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            lm.close();
            if (tempDir != null) {
                MoreFiles.deleteRecursively(tempDir, RecursiveDeleteOption.ALLOW_INSECURE);
            }
        }

        Decoder newDecoder() {
            return lm instanceof Llama jvm ? jvm.newDecoder() : new LlamaDecoder(((LlamaLanguageModel) lm).model());
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

    /** Bytes one decode step reads: every layer's weights and the LM head, not the embedding table. */
    static double streamedBytes(LanguageModel lm, LlamaConfig c, long weightBytes) {
        // the average bytes a weight takes, applied to the weights a step reads (the embedding rows it looks up
        // are a few kilobytes)
        double bytesPerWeight = (double) weightBytes / parametersWithEmbedding(c);
        return bytesPerWeight * parameters(c);
    }

    /** Number of matmul parameters: every linear layer and the LM head (embedding lookups are free). */
    static double parameters(LlamaConfig c) {
        double h = c.hiddenSize();
        double q = (double) c.numAttentionHeads() * c.headDim();
        double kv = (double) c.numKeyValueHeads() * c.headDim();
        double layer = h * q * 2 + h * kv * 2 + 3 * h * c.intermediateSize();
        return c.numHiddenLayers() * layer + h * c.vocabSize();
    }

    private static double parametersWithEmbedding(LlamaConfig c) {
        return parameters(c) + (c.tieWordEmbeddings() ? 0 : (double) c.hiddenSize() * c.vocabSize());
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
        try (Decoder d = m.newDecoder()) {
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
}
