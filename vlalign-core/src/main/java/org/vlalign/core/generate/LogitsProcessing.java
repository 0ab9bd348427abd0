package org.vlalign.core.generate;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The logits processors and warpers of Hugging Face {@code generate}, on one row of scores at a
 * time, in place, without boxing.
 *
 * <p>Scores are {@code double} so that sums of log-probabilities over long sequences keep their
 * precision; the decoder's {@code float} logits convert exactly. Stateless apart from the caller's
 * scratch arrays; not thread-safe when scratch is shared.
 */
final class LogitsProcessing {

    private LogitsProcessing() {}

    /** Copies one row of logits into a score buffer. */
    static void copy(float[] logits, double[] scores) {
        for (int v = 0; v < scores.length; v++) {
            scores[v] = logits[v];
        }
    }

    /**
     * CTRL repetition penalty (HF {@code RepetitionPenaltyLogitsProcessor}): every token that occurs
     * in the prompt or in the generated tokens is penalised once, a negative score multiplied by
     * {@code penalty} and a positive one divided by it.
     *
     * @param scores one row, {@code (vocab)}
     * @param promptTokens distinct prompt token ids (embedding positions have none)
     * @param generated generated ids, the first {@code generatedLength} are used
     * @param marks scratch, {@code (vocab)}, all false on entry and on exit
     */
    static void repetitionPenalty(
            double[] scores,
            int[] promptTokens,
            int[] generated,
            int generatedLength,
            double penalty,
            boolean[] marks) {
        if (penalty == 1.0) {
            return;
        }
        for (int t : promptTokens) {
            penalise(scores, t, penalty, marks);
        }
        for (int i = 0; i < generatedLength; i++) {
            penalise(scores, generated[i], penalty, marks);
        }
        for (int t : promptTokens) {
            marks[t] = false;
        }
        for (int i = 0; i < generatedLength; i++) {
            marks[generated[i]] = false;
        }
    }

    private static void penalise(double[] scores, int token, double penalty, boolean[] marks) {
        if (token < 0 || token >= scores.length || marks[token]) {
            return;
        }
        marks[token] = true;
        double s = scores[token];
        scores[token] = s < 0 ? s * penalty : s / penalty;
    }

    /** Sets the scores of {@code ids} to minus infinity (HF {@code MinNewTokensLengthLogitsProcessor}). */
    static void suppress(double[] scores, int[] ids) {
        for (int id : ids) {
            scores[id] = Double.NEGATIVE_INFINITY;
        }
    }

    /** {@code log(sum(exp(scores)))}, stable; minus infinity when every score is. */
    static double logSumExp(double[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double s : scores) {
            if (s > max) {
                max = s;
            }
        }
        if (max == Double.NEGATIVE_INFINITY || Double.isNaN(max)) {
            return max;
        }
        double sum = 0;
        for (double s : scores) {
            sum += Math.exp(s - max);
        }
        return max + Math.log(sum);
    }

    /** Replaces scores by their log-softmax. */
    static void logSoftmax(double[] scores) {
        double lse = logSumExp(scores);
        for (int v = 0; v < scores.length; v++) {
            scores[v] -= lse;
        }
    }

    /** The index of the largest score; ties go to the lowest index. */
    static int argmax(double[] scores) {
        int best = 0;
        for (int v = 1; v < scores.length; v++) {
            if (scores[v] > scores[best]) {
                best = v;
            }
        }
        return best;
    }

    /** Divides by the temperature (HF {@code TemperatureLogitsWarper}). */
    static void temperature(double[] scores, double temperature) {
        if (temperature == 1.0) {
            return;
        }
        for (int v = 0; v < scores.length; v++) {
            scores[v] /= temperature;
        }
    }

    /**
     * Keeps the {@code k} largest scores and every score tied with the k-th (HF {@code
     * TopKLogitsWarper}: remove where {@code score < kth largest}); O(vocab log k).
     *
     * @param heap scratch of at least {@code min(k, vocab)} entries
     */
    static void topK(double[] scores, int k, double[] heap) {
        int n = Math.min(k, scores.length);
        if (k <= 0 || n == scores.length) {
            return;
        }
        // Min-heap of the n largest values: its root is the k-th largest.
        int size = 0;
        for (double s : scores) {
            if (size < n) {
                heap[size] = s;
                siftUp(heap, size++);
            } else if (s > heap[0]) {
                heap[0] = s;
                siftDown(heap, 0, size);
            }
        }
        double kth = heap[0];
        for (int v = 0; v < scores.length; v++) {
            if (scores[v] < kth) {
                scores[v] = Double.NEGATIVE_INFINITY;
            }
        }
    }

    private static void siftUp(double[] h, int i) {
        double x = h[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (h[parent] <= x) {
                break;
            }
            h[i] = h[parent];
            i = parent;
        }
        h[i] = x;
    }

    private static void siftDown(double[] h, int i, int size) {
        double x = h[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && h[child + 1] < h[child]) {
                child++;
            }
            if (h[child] >= x) {
                break;
            }
            h[i] = h[child];
            i = child;
        }
        h[i] = x;
    }

    /**
     * Nucleus filtering (HF {@code TopPLogitsWarper}): sort ascending, take the cumulative softmax,
     * remove the tokens whose cumulative probability is {@code <= 1 - topP}, always keep the most
     * likely one.
     *
     * @param keys scratch, {@code (vocab)}
     */
    static void topP(double[] scores, double topP, long[] keys) {
        if (topP >= 1.0) {
            return;
        }
        int n = scores.length;
        // Sort (value, index) pairs without boxing: an order-preserving int image of the value in
        // the high half, the index in the low half.
        for (int v = 0; v < n; v++) {
            keys[v] = ((long) sortableBits((float) scores[v]) << 32) | v;
        }
        Arrays.sort(keys, 0, n);
        double lse = logSumExp(scores);
        double cumulative = 0;
        double threshold = 1.0 - topP;
        for (int i = 0; i < n - 1; i++) {
            int v = (int) keys[i];
            cumulative += Math.exp(scores[v] - lse);
            if (cumulative <= threshold) {
                scores[v] = Double.NEGATIVE_INFINITY;
            } else {
                break;
            }
        }
    }

    private static int sortableBits(float f) {
        int bits = Float.floatToIntBits(f);
        return bits ^ ((bits >> 31) & 0x7fffffff);
    }

    /**
     * Draws a token from {@code softmax(scores)}.
     *
     * @return the token
     */
    static int sample(double[] scores, double logSumExp, RandomGenerator random) {
        double u = random.nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int v = 0; v < scores.length; v++) {
            if (scores[v] == Double.NEGATIVE_INFINITY) {
                continue;
            }
            last = v;
            cumulative += Math.exp(scores[v] - logSumExp);
            if (u < cumulative) {
                return v;
            }
        }
        // Rounding left the cumulative sum just below u: the last possible token.
        return last >= 0 ? last : argmax(scores);
    }
}
