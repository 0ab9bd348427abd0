package org.vlalign.core.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.vlalign.InvalidArgumentException;

/**
 * CIDEr-D, the caption metric of the COCO caption evaluation toolkit: each sentence becomes TF-IDF vectors of
 * its 1- to 4-grams, with document frequencies counted over the reference sets of the whole corpus; a
 * candidate's score for one n is the clipped cosine similarity to each reference ({@code Σ min(c, r) · r /
 * (|c| |r|)}) times a Gaussian penalty {@code exp(−δ² / 2σ²)} on the length difference δ (σ = 6), averaged
 * over the references and over n = 1..4, then multiplied by 10.
 *
 * <p>As the toolkit does: an n-gram no reference contains has document frequency 1; the inverse document
 * frequency is {@code log(images) − log(max(1, df))}; a sentence's length for the penalty is its number of
 * bigrams (words − 1); an n whose vectors are empty contributes 0. Text is lower-cased and split on white
 * space after removing punctuation (the toolkit's PTB tokenizer reduces these captions to the same words).
 * Scores lie in [0, 10 · (1 + ...)]: identical sentences in a corpus of distinct images score close to 10.
 *
 * <p>Stateless and thread-safe.
 *
 * <pre>{@code
 * CiderD.Result r = CiderD.score(List.of("a red circle"), List.of(List.of("a red circle", "one red circle")));
 * double corpus = r.mean();
 * }</pre>
 *
 * @since 0.2.0
 */
public final class CiderD {
    /** The largest n-gram order. */
    public static final int MAX_N = 4;
    /** The standard deviation of the length penalty, in words. */
    public static final double SIGMA = 6.0;

    private CiderD() {}

    /**
     * The scores of a corpus.
     *
     * <p>Immutable and thread-safe.
     *
     * @param mean the corpus score: the mean over candidates
     * @param perCandidate each candidate's score, in order
     * @since 0.2.0
     */
    public record Result(double mean, List<Double> perCandidate) {
        /** Copies. */
        public Result {
            perCandidate = List.copyOf(perCandidate);
        }
    }

    /**
     * Scores candidates against their references, with document frequencies from all the references.
     *
     * @param candidates one candidate per image
     * @param references each image's reference sentences, at least one per image
     * @return the scores
     * @throws InvalidArgumentException if the lists are empty, differ in size, or an image has no reference
     */
    public static Result score(List<String> candidates, List<? extends List<String>> references) {
        if (candidates == null || references == null || candidates.isEmpty()
                || candidates.size() != references.size()) {
            throw new InvalidArgumentException("CIDEr-D needs one candidate per reference set and at least one"
                    + " image, got " + (candidates == null ? "null" : candidates.size()) + " candidates and "
                    + (references == null ? "null" : references.size()) + " reference sets");
        }
        List<Map<String, Integer>> candidateCounts = new ArrayList<>();
        List<List<Map<String, Integer>>> referenceCounts = new ArrayList<>();
        Map<String, Integer> documentFrequency = new HashMap<>();
        for (int i = 0; i < candidates.size(); i++) {
            List<String> refs = references.get(i);
            if (refs == null || refs.isEmpty() || candidates.get(i) == null) {
                throw new InvalidArgumentException("image " + i + " needs a candidate and at least one reference");
            }
            candidateCounts.add(ngrams(candidates.get(i)));
            List<Map<String, Integer>> counts = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (String r : refs) {
                if (r == null) {
                    throw new InvalidArgumentException("image " + i + " has a null reference");
                }
                Map<String, Integer> c = ngrams(r);
                counts.add(c);
                seen.addAll(c.keySet());
            }
            referenceCounts.add(counts);
            for (String g : seen) {
                documentFrequency.merge(g, 1, Integer::sum); // once per image, however many references have it
            }
        }
        double logImages = Math.log(candidates.size());
        List<Double> scores = new ArrayList<>();
        double sum = 0;
        for (int i = 0; i < candidates.size(); i++) {
            Vector c = vector(candidateCounts.get(i), documentFrequency, logImages);
            double[] total = new double[MAX_N];
            for (Map<String, Integer> ref : referenceCounts.get(i)) {
                Vector r = vector(ref, documentFrequency, logImages);
                double delta = c.length - r.length;
                double penalty = Math.exp(-(delta * delta) / (2 * SIGMA * SIGMA));
                for (int n = 0; n < MAX_N; n++) {
                    double dot = 0;
                    for (Map.Entry<String, Double> e : c.weights.get(n).entrySet()) {
                        double rv = r.weights.get(n).getOrDefault(e.getKey(), 0.0);
                        dot += Math.min(e.getValue(), rv) * rv; // clipped: repeating an n-gram earns nothing
                    }
                    if (c.norms[n] != 0 && r.norms[n] != 0) {
                        dot /= c.norms[n] * r.norms[n];
                    }
                    total[n] += dot * penalty;
                }
            }
            double mean = 0;
            for (double t : total) {
                mean += t;
            }
            double s = mean / MAX_N / referenceCounts.get(i).size() * 10.0;
            scores.add(s);
            sum += s;
        }
        return new Result(sum / candidates.size(), scores);
    }

    /** TF-IDF weights per n (index n − 1), their norms, and the sentence's bigram count. */
    private record Vector(List<Map<String, Double>> weights, double[] norms, double length) {}

    private static Vector vector(Map<String, Integer> counts, Map<String, Integer> df, double logImages) {
        List<Map<String, Double>> weights = new ArrayList<>();
        for (int n = 0; n < MAX_N; n++) {
            weights.add(new HashMap<>());
        }
        double[] norms = new double[MAX_N];
        double length = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            int n = order(e.getKey());
            double idf = logImages - Math.log(Math.max(1, df.getOrDefault(e.getKey(), 0)));
            double w = e.getValue() * idf;
            weights.get(n - 1).put(e.getKey(), w);
            norms[n - 1] += w * w;
            if (n == 2) {
                length += e.getValue(); // the toolkit measures length in bigrams
            }
        }
        for (int n = 0; n < MAX_N; n++) {
            norms[n] = Math.sqrt(norms[n]);
        }
        return new Vector(weights, norms, length);
    }

    /** The n-gram counts of a sentence, n = 1..4, each n-gram as its words joined by single spaces. */
    static Map<String, Integer> ngrams(String sentence) {
        List<String> words = words(sentence);
        Map<String, Integer> counts = new HashMap<>();
        for (int n = 1; n <= MAX_N; n++) {
            for (int i = 0; i + n <= words.size(); i++) {
                counts.merge(String.join(" ", words.subList(i, i + n)), 1, Integer::sum);
            }
        }
        return counts;
    }

    private static int order(String ngram) {
        int n = 1;
        for (int i = 0; i < ngram.length(); i++) {
            if (ngram.charAt(i) == ' ') {
                n++;
            }
        }
        return n;
    }

    /** Lower-cased words with punctuation removed. */
    static List<String> words(String sentence) {
        String clean = sentence.toLowerCase(Locale.ROOT).replaceAll("[\\p{Punct}&&[^']]", " ");
        List<String> out = new ArrayList<>();
        for (String w : clean.trim().split("\\s+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }
}
