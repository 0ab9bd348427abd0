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
import org.vlalign.Features;
import org.vlalign.WeightFormat;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlmOptions;
import org.vlalign.llm.PrefixCacheStats;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;

/**
 * Time to the first token with the JVM engine's prefix cache, on LLaVA-1.5's prompt shape: BOS, 576 image
 * rows, then the question. {@code firstQuestion} empties the cache before each call (a new image);
 * {@code secondQuestion} asks another question about an image whose positions the cache holds (issue
 * target: at most 0.25× the first). {@code chatTenthTurn} prefills the tenth turn of a chat (image, nine
 * question-and-answer turns of 12 + 24 tokens, the tenth question) after the ninth was kept, against
 * {@code chatTenthTurnFull}, the same prompt with an empty cache. Each call is one prefill: its logits
 * give the first token.
 *
 * <p>Runs on the random 134M checkpoint by default; {@code -p checkpoint=DIR} takes any Llama folder
 * (a LLaVA-1.5-7B language model is the real shape: one first question then takes about a minute).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx12g", "--add-modules", "jdk.incubator.vector", "-Dai.djl.offline=true"})
public class PrefixCacheBenchmark {
    /** LLaVA-1.5's image rows (24 × 24 patches of a 336-pixel image). */
    static final int IMAGE_ROWS = 576;
    static final int QUESTION = 12;
    static final int ANSWER = 24;
    static final int TURNS = 10;

    /** The model and the prompts. */
    @State(Scope.Benchmark)
    public static class Model {
        /** The JVM engine's weight format. */
        @Param({"q8"})
        public String weights;

        /** Threads per forward pass (0: the engine's default). */
        @Param({"0"})
        public int threads;

        /** A Llama folder to load instead of the random 134M checkpoint. */
        @Param({""})
        public String checkpoint;

        Llama lm;
        Path tempDir;
        Features image;
        List<int[]> questions = new ArrayList<>();
        DecoderInput firstPrompt;
        DecoderInput ninthTurn;
        DecoderInput tenthTurn;
        int next;

        /** Loads the model and builds the prompts. */
        @Setup(Level.Trial)
        public void setup() throws IOException {
            Path folder;
            if (!checkpoint.isBlank()) {
                folder = Path.of(checkpoint);
            } else {
                tempDir = Files.createTempDirectory("vlalign-prefix-bench");
                folder = RandomCheckpoint.write("llama-134m", tempDir);
            }
            WeightFormat format = WeightFormat.valueOf(weights.toUpperCase(Locale.ROOT));
            lm = Llama.load(folder, new LlmOptions(format, threads).withPrefixCache(2L << 30));
            int hidden = lm.hiddenSize();
            SplittableRandom r = new SplittableRandom(7);
            float[] rows = new float[IMAGE_ROWS * hidden];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = (float) (r.nextGaussian() * 0.02);
            }
            image = Features.of(rows, IMAGE_ROWS, hidden);
            for (int q = 0; q < 64; q++) {
                questions.add(LlamaBenchmark.prompt(QUESTION, 100 + q));
            }
            firstPrompt = prompt(questions.get(0));
            int[] history = new int[0];
            for (int t = 0; t < TURNS - 1; t++) {
                history = concat(history, questions.get(t), LlamaBenchmark.prompt(ANSWER, 200 + t));
            }
            ninthTurn = prompt(history);
            tenthTurn = prompt(concat(history, questions.get(TURNS - 1)));
            System.out.printf(Locale.ROOT, "%nmodel: %s; first prompt %d positions, tenth turn %d%n", lm,
                    firstPrompt.length(), tenthTurn.length());
        }

        DecoderInput prompt(int[] tokens) {
            return new DecoderInput(List.of(new DecoderInput.Tokens(new int[] {1}), new DecoderInput.Embeddings(image),
                    new DecoderInput.Tokens(tokens)));
        }

        /** Prints what the cache did; releases the model and the temporary checkpoint. */
        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            PrefixCacheStats s = lm.prefixCacheStats();
            System.out.printf(Locale.ROOT, "%nprefix cache: %d hits, %d misses, %.1f positions reused a hit%n",
                    s.hits(), s.misses(), s.hits() == 0 ? 0.0 : (double) s.reusedPositions() / s.hits());
            lm.close();
            if (tempDir != null) {
                MoreFiles.deleteRecursively(tempDir, RecursiveDeleteOption.ALLOW_INSECURE);
            }
        }

        float prefill(DecoderInput in) {
            try (Decoder d = lm.newDecoder()) {
                return d.prefill(List.of(in))[0][0];
            }
        }
    }

    /** The cache holds the image's prompt; later questions add theirs, up to the cache's bound. */
    @State(Scope.Thread)
    public static class WarmImage {
        /** Empties the cache and keeps the first question's prompt. */
        @Setup(Level.Iteration)
        public void fill(Model m) {
            m.lm.clearPrefixCache();
            m.prefill(m.firstPrompt);
        }
    }

    /** The cache holds exactly the chat's first nine turns (refilled before each call). */
    @State(Scope.Thread)
    public static class WarmChat {
        /** Empties the cache and keeps the ninth turn. */
        @Setup(Level.Invocation)
        public void fill(Model m) {
            m.lm.clearPrefixCache();
            m.prefill(m.ninthTurn);
        }
    }

    /**
     * A question about a new image: every position computed.
     *
     * @param m the model
     * @return a logit, so the work is not dropped
     */
    @Benchmark
    public float firstQuestion(Model m) {
        m.lm.clearPrefixCache();
        return m.prefill(m.firstPrompt);
    }

    /**
     * Another question about an image the cache holds: only the question's positions computed.
     *
     * @param m the model
     * @param w the warm cache
     * @return a logit
     */
    @Benchmark
    public float secondQuestion(Model m, WarmImage w) {
        int q = 1 + (m.next++ % (m.questions.size() - 1));
        return m.prefill(m.prompt(m.questions.get(q)));
    }

    /**
     * A chat's tenth turn after the ninth was kept: the ninth answer's positions and the new question.
     *
     * @param m the model
     * @param w the warm cache
     * @return a logit
     */
    @Benchmark
    public float chatTenthTurn(Model m, WarmChat w) {
        return m.prefill(m.tenthTurn);
    }

    /**
     * The same tenth turn with an empty cache: the whole conversation computed again.
     *
     * @param m the model
     * @return a logit
     */
    @Benchmark
    public float chatTenthTurnFull(Model m) {
        m.lm.clearPrefixCache();
        return m.prefill(m.tenthTurn);
    }

    static int[] concat(int[]... parts) {
        int n = 0;
        for (int[] p : parts) {
            n += p.length;
        }
        int[] out = new int[n];
        int o = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
