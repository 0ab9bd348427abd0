package org.vlalign.core.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vlalign.DecodingStrategy;
import org.vlalign.FinishReason;
import org.vlalign.GenerationConfig;
import org.vlalign.TokenListener;
import org.vlalign.VlalignException;

/**
 * Beam search with the bookkeeping of Hugging Face 4.45 {@code _beam_search} and {@code
 * BeamSearchScorer}.
 *
 * <p>Per step and input row: log-softmax of each beam's logits, then the logits processors, plus
 * the beam's running score; the best {@code max(2, 1 + #eos) · numBeams} of all {@code (beam,
 * token)} candidates, best first; an end-of-sequence candidate ranked below {@code numBeams} becomes
 * a finished hypothesis scored {@code sum / generatedLength^lengthPenalty} (the end-of-sequence
 * token counted in the length), and the first {@code numBeams} other candidates go on. Initial beam
 * scores are 0 for the first beam and -1e9 for the others. A row is done by the {@code
 * early_stopping} rule of {@link BeamHypotheses}; a done row is dropped from the decoder. At the
 * length limit the running beams are added as hypotheses. Stop strings are applied to the final
 * hypotheses. Not thread-safe; one per call.
 */
final class BeamSearch {
    private final Generator.Job job;
    private final GenerationConfig config;
    private final int numBeams;
    private final DecodingStrategy.Beam beam;
    private final int vocab;
    private final int keep;
    private final double[] scores;
    private final boolean[] marks;
    private final TopCandidates candidates;
    private final double[] candidateScores;
    private final int[] candidateIds;

    /** The running state of one input row. */
    private static final class Row {
        final int index;
        final BeamHypotheses hypotheses;
        double[] beamScores; // (numBeams)
        int[][] beamTokens; // (numBeams, generated)
        int[] nextSources; // (numBeams) source beam of each new beam
        int[] nextTokens; // (numBeams)
        boolean finished;

        Row(int index, int numBeams, DecodingStrategy.Beam beam) {
            this.index = index;
            this.hypotheses = new BeamHypotheses(numBeams, beam.lengthPenalty(), beam.earlyStopping());
            beamScores = new double[numBeams];
            Arrays.fill(beamScores, 1, numBeams, -1e9);
            beamTokens = new int[numBeams][0];
            nextSources = new int[numBeams];
            nextTokens = new int[numBeams];
        }
    }

    BeamSearch(Generator.Job job, DecodingStrategy.Beam beam) {
        this.job = job;
        this.config = job.config;
        this.beam = beam;
        this.numBeams = beam.numBeams();
        this.vocab = job.vocab;
        this.keep = (int) Math.min((long) Math.max(2, 1 + job.eos.length) * numBeams, (long) numBeams * vocab);
        this.scores = new double[vocab];
        this.marks = new boolean[vocab];
        this.candidates = new TopCandidates(keep);
        this.candidateScores = new double[keep];
        this.candidateIds = new int[keep];
    }

    List<RowResult> run() {
        int rowCount = job.rows.size();
        Row[] rows = new Row[rowCount];
        for (int r = 0; r < rowCount; r++) {
            rows[r] = new Row(r, numBeams, beam);
        }
        float[][] prefillLogits = job.prefill(); // (rows, vocab)
        long decodeStart = System.nanoTime();
        int[] expand = Generator.Job.expand(rowCount, numBeams);
        job.decoder.reorder(expand);
        float[][] logits = new float[expand.length][]; // (activeRows * numBeams, vocab)
        for (int i = 0; i < expand.length; i++) {
            logits[i] = prefillLogits[expand[i]];
        }
        // active[p] is the input row whose beams are decoder rows p*numBeams .. p*numBeams+numBeams-1.
        int[] active = new int[rowCount];
        for (int r = 0; r < rowCount; r++) {
            active[r] = r;
        }
        int activeCount = rowCount;
        for (int generated = 1; ; generated++) {
            int[] continuing = new int[activeCount];
            int continuingCount = 0;
            for (int p = 0; p < activeCount; p++) {
                Row row = rows[active[p]];
                advance(row, logits, p * numBeams, generated);
                if (!row.finished) {
                    continuing[continuingCount++] = p;
                }
            }
            if (continuingCount == 0) {
                break;
            }
            int[] sources = new int[continuingCount * numBeams];
            int[] tokens = new int[continuingCount * numBeams];
            int[] nextActive = new int[continuingCount];
            for (int q = 0; q < continuingCount; q++) {
                int p = continuing[q];
                Row row = rows[active[p]];
                nextActive[q] = active[p];
                for (int b = 0; b < numBeams; b++) {
                    sources[q * numBeams + b] = p * numBeams + row.nextSources[b];
                    tokens[q * numBeams + b] = row.nextTokens[b];
                }
            }
            if (!Generator.Job.isIdentity(sources, activeCount * numBeams)) {
                job.decoder.reorder(sources);
            }
            active = nextActive;
            activeCount = continuingCount;
            logits = job.step(tokens);
        }
        job.decodeNanos += System.nanoTime() - decodeStart;
        List<RowResult> results = new ArrayList<>(rowCount);
        for (Row row : rows) {
            results.add(result(row));
        }
        return results;
    }

    /**
     * One step of one input row: select the next beams, record finished hypotheses, decide whether
     * the row is finished.
     *
     * @param first the decoder row of the row's first beam
     * @param generated new tokens after this step
     */
    private void advance(Row row, float[][] logits, int first, int generated) {
        RowPlan plan = job.plans[row.index];
        candidates.reset(keep);
        for (int b = 0; b < numBeams; b++) {
            double[] x = scores; // (vocab)
            LogitsProcessing.copy(logits[first + b], x);
            LogitsProcessing.logSoftmax(x);
            int[] history = row.beamTokens[b];
            LogitsProcessing.repetitionPenalty(
                    x, plan.promptTokens(), history, history.length, config.repetitionPenalty(), marks);
            if (history.length < config.minNewTokens()) {
                LogitsProcessing.suppress(x, job.eos);
            }
            double running = row.beamScores[b];
            int base = b * vocab;
            for (int v = 0; v < vocab; v++) {
                candidates.offer(x[v] + running, base + v);
            }
        }
        int n = candidates.drainBestFirst(candidateScores, candidateIds);
        double[] nextScores = new double[numBeams];
        int[][] nextTokensSoFar = new int[numBeams][];
        int chosen = 0;
        for (int rank = 0; rank < n && chosen < numBeams; rank++) {
            int source = candidateIds[rank] / vocab;
            int token = candidateIds[rank] % vocab;
            if (job.isEos(token)) {
                if (rank < numBeams) {
                    row.hypotheses.add(row.beamTokens[source], true, candidateScores[rank], generated);
                }
            } else {
                nextScores[chosen] = candidateScores[rank];
                row.nextSources[chosen] = source;
                row.nextTokens[chosen] = token;
                int[] history = row.beamTokens[source];
                int[] extended = Arrays.copyOf(history, history.length + 1);
                extended[history.length] = token;
                nextTokensSoFar[chosen] = extended;
                chosen++;
            }
        }
        if (chosen < numBeams) {
            throw new VlalignException(
                    "beam search found only " + chosen + " continuations for " + numBeams + " beams at"
                            + " new token " + generated + " of row " + row.index + " (vocabulary "
                            + vocab + ", " + job.eos.length + " end-of-sequence ids); use fewer beams");
        }
        row.beamScores = nextScores;
        row.beamTokens = nextTokensSoFar;
        boolean done = row.hypotheses.isDone(candidateScores[0], generated);
        if (done) {
            row.finished = true;
        } else if (generated >= plan.budget()) {
            for (int b = 0; b < numBeams; b++) {
                row.hypotheses.add(row.beamTokens[b], false, row.beamScores[b], generated);
            }
            row.finished = true;
        }
    }

    private RowResult result(Row row) {
        RowPlan plan = job.plans[row.index];
        List<GeneratedSequence> out = new ArrayList<>(config.numReturnSequences());
        for (BeamHypotheses.Hypothesis h : row.hypotheses.bestFirst(config.numReturnSequences())) {
            TextStream text = new TextStream(job.detokenizer, config.stopStrings(), null);
            String decoded = text.decodeAndCut(h.tokens());
            FinishReason finish = text.stopped()
                    ? FinishReason.STOP_STRING
                    : h.eos() ? FinishReason.EOS : plan.limitReason();
            out.add(new GeneratedSequence(h.tokens(), finish, h.score(), decoded));
        }
        TokenListener listener = job.listener(row.index);
        if (listener != null && !out.get(0).text().isEmpty()) {
            listener.onText(out.get(0).text());
        }
        return new RowResult(out);
    }
}
