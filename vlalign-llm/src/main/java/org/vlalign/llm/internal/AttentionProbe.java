package org.vlalign.llm.internal;

import com.google.common.base.Verify;

/**
 * Records, during one {@link LlamaEngine#forward} call, the attention probabilities of chosen steps to a range
 * of positions of their row: post-softmax, summed over every layer and head, so that {@link #mean} is the
 * average over layers and heads (the rule of the usual LLaVA attention analyses).
 *
 * <p>Each (step, head) pair writes only its own slice, so the engine's team needs no locks: attention tasks of
 * one layer are split by (step, head) and layers run one after another.
 *
 * <p>Not thread-safe beyond that: one probe per forward call.
 */
final class AttentionProbe {
    final int from;
    final int to;
    final int heads;
    /** Each step's slot in {@link #sums}, or -1 for steps not recorded. */
    final int[] slotOf;
    /** {@code (slots, heads, to - from)}: probabilities summed over layers. */
    final float[] sums;
    private final int slots;
    private int layers;

    /**
     * A probe for the steps marked in {@code record}.
     *
     * @param from the first position recorded
     * @param to one past the last position recorded
     * @param heads the attention heads
     * @param record which steps of the call to record
     */
    AttentionProbe(int from, int to, int heads, boolean[] record) {
        Verify.verify(0 <= from && from < to, "attention range [%s, %s)", from, to);
        this.from = from;
        this.to = to;
        this.heads = heads;
        this.slotOf = new int[record.length];
        int n = 0;
        for (int s = 0; s < record.length; s++) {
            slotOf[s] = record[s] ? n++ : -1;
        }
        this.slots = n;
        this.sums = new float[n * heads * (to - from)];
    }

    /** Counts one layer's pass; called by the engine once per layer. */
    void layerDone() {
        layers++;
    }

    /**
     * Adds one (step, head) softmax to the sums.
     *
     * @param step the step
     * @param head the head
     * @param exp the un-normalised exponentials, indexed by position
     * @param last the step's own position: positions after it are not attended (they count 0)
     * @param sum the softmax denominator
     */
    void add(int step, int head, float[] exp, int last, float sum) {
        int slot = slotOf[step];
        if (slot < 0) {
            return;
        }
        int width = to - from;
        int off = (slot * heads + head) * width;
        int end = Math.min(to, last + 1);
        for (int p = from; p < end; p++) {
            sums[off + p - from] += exp[p] / sum;
        }
    }

    /**
     * The recorded steps' attention to the range, averaged over layers and heads.
     *
     * @return {@code [slot][position - from]}
     */
    float[][] mean() {
        int width = to - from;
        float[][] out = new float[slots][width];
        float scale = 1f / ((float) layers * heads);
        for (int slot = 0; slot < slots; slot++) {
            for (int h = 0; h < heads; h++) {
                int off = (slot * heads + h) * width;
                for (int i = 0; i < width; i++) {
                    out[slot][i] += sums[off + i];
                }
            }
            for (int i = 0; i < width; i++) {
                out[slot][i] *= scale;
            }
        }
        return out;
    }
}
