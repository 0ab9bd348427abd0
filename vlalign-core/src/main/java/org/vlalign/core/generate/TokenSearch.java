package org.vlalign.core.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import org.vlalign.DecodingStrategy;
import org.vlalign.FinishReason;
import org.vlalign.GenerationConfig;
import org.vlalign.TokenListener;

/**
 * Greedy decoding and sampling: one token per sequence per step (HF {@code _sample} with {@code
 * do_sample} false or true).
 *
 * <p>With {@code numReturnSequences = n} each prompt is prefilled once and its cache duplicated into
 * n rows, like Hugging Face's {@code expand_inputs_for_generation}. Sample {@code j} of every row
 * draws from its own generator, seeded from the config seed and {@code j} only, so a row samples
 * the same tokens whether it is alone or in a batch. Not thread-safe; one per call.
 */
final class TokenSearch {
    private final Generator.Job job;
    private final GenerationConfig config;
    private final DecodingStrategy.Sampling sampling;
    private final int copies;
    private final double[] scores;
    private final boolean[] marks;
    private final double[] heap;
    private final long[] keys;

    /** One sequence being generated. */
    private static final class Sequence {
        final int row;
        final TextStream stream;
        final RandomGenerator random;
        int[] ids = new int[16];
        int length;
        double score;
        FinishReason finish;

        Sequence(int row, TextStream stream, RandomGenerator random) {
            this.row = row;
            this.stream = stream;
            this.random = random;
        }
    }

    TokenSearch(Generator.Job job) {
        this.job = job;
        this.config = job.config;
        this.sampling = config.strategy() instanceof DecodingStrategy.Sampling s ? s : null;
        this.copies = config.numReturnSequences();
        this.scores = new double[job.vocab];
        this.marks = new boolean[job.vocab];
        this.heap = sampling != null && sampling.topK() > 0 ? new double[Math.min(sampling.topK(), job.vocab)] : null;
        this.keys = sampling != null && sampling.topP() < 1 ? new long[job.vocab] : null;
    }

    List<RowResult> run() {
        int rowCount = job.rows.size();
        long seed = config.seed().orElseGet(() -> ThreadLocalRandom.current().nextLong());
        Sequence[] sequences = new Sequence[rowCount * copies];
        for (int i = 0; i < sequences.length; i++) {
            int row = i / copies;
            TokenListener listener = copies == 1 ? job.listener(row) : null;
            RandomGenerator random = sampling == null ? null : new SplittableRandom(mix(seed, i % copies));
            sequences[i] = new Sequence(row, new TextStream(job.detokenizer, config.stopStrings(), listener), random);
        }

        float[][] logits = job.prefill(); // (rows, vocab)
        long decodeStart = System.nanoTime();
        if (copies > 1) {
            int[] sources = Generator.Job.expand(rowCount, copies);
            job.decoder.reorder(sources);
            float[][] expanded = new float[sources.length][];
            for (int i = 0; i < sources.length; i++) {
                expanded[i] = logits[sources[i]];
            }
            logits = expanded;
        }
        // active[p] is the sequence in decoder row p.
        int[] active = new int[sequences.length];
        for (int i = 0; i < active.length; i++) {
            active[i] = i;
        }
        int activeCount = active.length;
        while (true) {
            int[] keep = new int[activeCount];
            int[] tokens = new int[activeCount];
            int kept = 0;
            for (int p = 0; p < activeCount; p++) {
                Sequence s = sequences[active[p]];
                int token = choose(s, logits[p]);
                if (advance(s, token)) {
                    keep[kept] = p;
                    tokens[kept++] = token;
                }
            }
            if (kept == 0) {
                break;
            }
            int[] sources = Arrays.copyOf(keep, kept);
            if (kept != activeCount) {
                job.decoder.reorder(sources);
                int[] next = new int[kept];
                for (int q = 0; q < kept; q++) {
                    next[q] = active[sources[q]];
                }
                active = next;
                activeCount = kept;
            }
            logits = job.step(Arrays.copyOf(tokens, kept));
        }
        job.decodeNanos += System.nanoTime() - decodeStart;
        return results(sequences, rowCount);
    }

    /** Processes one row of logits and picks the token; adds its log-probability to the score. */
    private int choose(Sequence s, float[] rowLogits) {
        double[] x = scores; // (vocab)
        LogitsProcessing.copy(rowLogits, x);
        LogitsProcessing.repetitionPenalty(
                x, job.plans[s.row].promptTokens(), s.ids, s.length, config.repetitionPenalty(), marks);
        if (s.length < config.minNewTokens()) {
            LogitsProcessing.suppress(x, job.eos);
        }
        if (sampling != null) {
            LogitsProcessing.temperature(x, sampling.temperature());
            if (heap != null) {
                LogitsProcessing.topK(x, sampling.topK(), heap);
            }
            if (keys != null) {
                LogitsProcessing.topP(x, sampling.topP(), keys);
            }
        }
        double logSumExp = LogitsProcessing.logSumExp(x);
        int token = sampling == null
                ? LogitsProcessing.argmax(x)
                : LogitsProcessing.sample(x, logSumExp, s.random);
        s.score += x[token] - logSumExp;
        return token;
    }

    /**
     * Records the token and decides whether the sequence goes on.
     *
     * @return true if the token must be fed to the decoder for another step
     */
    private boolean advance(Sequence s, int token) {
        if (job.isEos(token)) {
            s.finish = FinishReason.EOS;
            return false;
        }
        s.ids = Generator.Job.append(s.ids, s.length, token);
        s.length++;
        if (s.stream.active() && s.stream.onToken(s.ids, s.length)) {
            s.finish = FinishReason.STOP_STRING;
            return false;
        }
        RowPlan plan = job.plans[s.row];
        if (s.length >= plan.budget()) {
            s.finish = plan.limitReason();
            return false;
        }
        return true;
    }

    private List<RowResult> results(Sequence[] sequences, int rowCount) {
        List<RowResult> rows = new ArrayList<>(rowCount);
        for (int r = 0; r < rowCount; r++) {
            List<GeneratedSequence> out = new ArrayList<>(copies);
            for (int j = 0; j < copies; j++) {
                Sequence s = sequences[r * copies + j];
                int[] ids = Arrays.copyOf(s.ids, s.length);
                String text = s.stream.finish(ids);
                FinishReason finish = s.stream.stopped() ? FinishReason.STOP_STRING : s.finish;
                out.add(new GeneratedSequence(ids, finish, s.score, text));
            }
            if (copies > 1) {
                // Best first; a stable sort keeps sample order among equal scores.
                out.sort(Comparator.comparingDouble(GeneratedSequence::score).reversed());
                TokenListener listener = job.listener(r);
                if (listener != null && !out.get(0).text().isEmpty()) {
                    listener.onText(out.get(0).text());
                }
            }
            rows.add(new RowResult(out));
        }
        return rows;
    }

    /** SplitMix64 finaliser of the seed and the sample index. */
    private static long mix(long seed, int sample) {
        long z = seed + 0x9E3779B97F4A7C15L * (sample + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
