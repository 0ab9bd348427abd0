package org.vlalign.core.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The test oracle for beam search: enumerates every sequence a row can produce within a length
 * limit and scores it as Hugging Face defines a finished hypothesis.
 *
 * <p>A sequence is either some non-eos tokens followed by an eos token, or {@code maxLength}
 * non-eos tokens. Its score is the sum of its tokens' processed log-probabilities (log-softmax,
 * then the repetition penalty on tokens seen in the prompt or before, then minus infinity for an
 * eos before {@code minNew} tokens) divided by its length, eos included, to the power of the length
 * penalty.
 */
final class BruteForce {
    private BruteForce() {}

    /** A complete sequence. */
    record Scored(int[] ids, boolean eos, double score) {
        @Override
        public String toString() {
            return Arrays.toString(ids) + (eos ? "+eos" : "") + "=" + score;
        }
    }

    static List<Scored> enumerate(
            ToyDecoder decoder, int[] prompt, Set<Integer> eos, int maxLength, double lengthPenalty,
            double penalty, int minNew) {
        List<Scored> out = new ArrayList<>();
        walk(decoder, prompt, new int[0], 0.0, eos, maxLength, lengthPenalty, penalty, minNew, out);
        out.sort(Comparator.comparingDouble(Scored::score).reversed());
        return out;
    }

    /** The score of one given sequence. */
    static double score(
            ToyDecoder decoder, int[] prompt, int[] ids, boolean endsWithEos, int eosId,
            double lengthPenalty, double penalty, int minNew) {
        double sum = 0;
        for (int i = 0; i < ids.length; i++) {
            sum += tokenLogProb(decoder, prompt, Arrays.copyOf(ids, i), ids[i], false, penalty, minNew);
        }
        int length = ids.length;
        if (endsWithEos) {
            sum += tokenLogProb(decoder, prompt, ids, eosId, true, penalty, minNew);
            length++;
        }
        return sum / Math.pow(length, lengthPenalty);
    }

    private static void walk(
            ToyDecoder decoder, int[] prompt, int[] prefix, double sum, Set<Integer> eos, int maxLength,
            double lengthPenalty, double penalty, int minNew, List<Scored> out) {
        for (int t = 0; t < decoder.vocabSize(); t++) {
            boolean isEos = eos.contains(t);
            double s = sum + tokenLogProb(decoder, prompt, prefix, t, isEos, penalty, minNew);
            int length = prefix.length + 1;
            if (isEos) {
                out.add(new Scored(prefix, true, s / Math.pow(length, lengthPenalty)));
                continue;
            }
            int[] next = Arrays.copyOf(prefix, length);
            next[prefix.length] = t;
            if (length == maxLength) {
                out.add(new Scored(next, false, s / Math.pow(length, lengthPenalty)));
            } else {
                walk(decoder, prompt, next, s, eos, maxLength, lengthPenalty, penalty, minNew, out);
            }
        }
    }

    /** The processed log-probability of {@code token} after {@code prompt + generated}. */
    static double tokenLogProb(
            ToyDecoder decoder, int[] prompt, int[] generated, int token, boolean isEos, double penalty,
            int minNew) {
        int[] history = concat(prompt, generated);
        float[] logits = decoder.logitsOf(history);
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double lp = logits[token] - max - Math.log(sum);
        boolean seen = false;
        for (int h : history) {
            seen |= h == token;
        }
        if (seen && penalty != 1.0) {
            lp = lp < 0 ? lp * penalty : lp / penalty;
        }
        if (isEos && generated.length < minNew) {
            lp = Double.NEGATIVE_INFINITY;
        }
        return lp;
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
