package org.vlalign.core.generate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The finished hypotheses of one input row in beam search, bounded to {@code numBeams}, with the
 * bookkeeping of Hugging Face 4.45 {@code BeamHypotheses}: a hypothesis enters if there is room or
 * it beats the worst, the worst is evicted (the earliest among equals), and the row is done by
 * the {@code early_stopping} rule. Not thread-safe.
 */
final class BeamHypotheses {

    /**
     * A finished hypothesis.
     *
     * @param tokens the new tokens, without an end-of-sequence token
     * @param eos whether it ended with an end-of-sequence token
     * @param score {@code sumLogprobs / generatedLength^lengthPenalty}
     */
    record Hypothesis(int[] tokens, boolean eos, double score) {}

    private final int numBeams;
    private final double lengthPenalty;
    private final boolean earlyStopping;
    private final List<Hypothesis> beams = new ArrayList<>();
    private double worstScore = 1e9;

    BeamHypotheses(int numBeams, double lengthPenalty, boolean earlyStopping) {
        this.numBeams = numBeams;
        this.lengthPenalty = lengthPenalty;
        this.earlyStopping = earlyStopping;
    }

    int size() {
        return beams.size();
    }

    /**
     * Offers a hypothesis.
     *
     * @param generatedLength new tokens, the end-of-sequence token included when there is one
     */
    void add(int[] tokens, boolean eos, double sumLogprobs, int generatedLength) {
        double score = sumLogprobs / Math.pow(generatedLength, lengthPenalty);
        if (beams.size() < numBeams || score > worstScore) {
            beams.add(new Hypothesis(tokens, eos, score));
            if (beams.size() > numBeams) {
                int worst = 0;
                for (int i = 1; i < beams.size(); i++) {
                    if (beams.get(i).score() < beams.get(worst).score()) {
                        worst = i;
                    }
                }
                beams.remove(worst);
                double next = Double.POSITIVE_INFINITY;
                for (Hypothesis h : beams) {
                    next = Math.min(next, h.score());
                }
                worstScore = next;
            } else {
                worstScore = Math.min(score, worstScore);
            }
        }
    }

    /**
     * Whether no better hypothesis can be expected.
     *
     * @param bestSumLogprobs the best running candidate score of this step
     * @param generatedLength new tokens so far, this step's included
     */
    boolean isDone(double bestSumLogprobs, int generatedLength) {
        if (beams.size() < numBeams) {
            return false;
        }
        if (earlyStopping) {
            return true;
        }
        double highestAttainable = bestSumLogprobs / Math.pow(generatedLength, lengthPenalty);
        return worstScore >= highestAttainable;
    }

    /**
     * The best hypotheses, best first; among equal scores the later one first (as a stable
     * ascending sort popped from the end).
     */
    List<Hypothesis> bestFirst(int n) {
        List<Hypothesis> sorted = new ArrayList<>(beams);
        sorted.sort(Comparator.comparingDouble(Hypothesis::score));
        List<Hypothesis> out = new ArrayList<>(n);
        for (int i = sorted.size() - 1; i >= 0 && out.size() < n; i--) {
            out.add(sorted.get(i));
        }
        return out;
    }
}
