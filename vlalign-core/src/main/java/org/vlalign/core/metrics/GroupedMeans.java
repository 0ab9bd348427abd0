package org.vlalign.core.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Means of scores grouped by a key (a question type, an answer type), for the per-group lines of an
 * evaluation report.
 *
 * <p>Not thread-safe: one per evaluation.
 *
 * @since 0.3.0
 */
public final class GroupedMeans {
    /** Per key: the sum of its scores and their count. */
    private final Map<String, double[]> sums = new LinkedHashMap<>();

    /**
     * Adds one score to a group.
     *
     * @param key the group
     * @param score the score
     */
    public void add(String key, double score) {
        double[] s = sums.computeIfAbsent(key, k -> new double[2]);
        s[0] += score;
        s[1]++;
    }

    /**
     * The mean score of every group.
     *
     * @return group to mean, in the order the groups were first seen
     */
    public Map<String, Double> means() {
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((k, s) -> out.put(k, s[0] / s[1]));
        return out;
    }
}
