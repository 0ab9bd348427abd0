package org.vlalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * Hugging Face's shift-by-one causal-LM loss through the SDK's own Llama forward pass, summed: position
 * {@code t} predicts the label at {@code t + 1}; labels {@link #IGNORE} carry no loss.
 *
 * <p>Stateless and thread-safe.
 */
final class NextTokenLoss {

    /** The label of positions that carry no loss, as Hugging Face's {@code ignore_index}. */
    static final int IGNORE = -100;

    private NextTokenLoss() {}

    /**
     * The summed cross-entropy of every labelled position.
     *
     * @param scope owns the result and everything the backward pass reads
     * @param model the language model
     * @param embeds the input embeddings {@code (batch, length, hidden)}, right-padded
     * @param mask {@code [batch][length]}: 1 for real positions, 0 for padding
     * @param labels per row, the label of each position ({@link #IGNORE} for none); rows may be shorter
     *     than {@code length} (the rest is ignored)
     * @return a {@code ()} array
     */
    static NDArray sum(NDManager scope, LlamaModel model, NDArray embeds, long[][] mask, int[][] labels) {
        return sum(scope, model, embeds, mask, labels, null);
    }

    /**
     * The weighted sum of every labelled position's cross-entropy.
     *
     * @param scope owns the result and everything the backward pass reads
     * @param model the language model
     * @param embeds the input embeddings {@code (batch, length, hidden)}, right-padded
     * @param mask {@code [batch][length]}: 1 for real positions, 0 for padding
     * @param labels per row, the label of each position ({@link #IGNORE} for none)
     * @param weights per row, the weight of each position's label (same shape as {@code labels}), or null for 1
     * @return a {@code ()} array
     */
    static NDArray sum(NDManager scope, LlamaModel model, NDArray embeds, long[][] mask, int[][] labels,
            float[][] weights) {
        int b = labels.length;
        int len = (int) embeds.getShape().get(1);
        NDArray states = model.trainingHiddenStates(scope, embeds, mask); // (batch, len, hidden)
        NDArray logits = model.logits(states.get(":, 0:" + (len - 1) + ", :")); // (batch, len - 1, vocab)
        long vocab = logits.getShape().get(2);
        long[] targets = new long[b * (len - 1)]; // labels shifted by one: position t predicts token t + 1
        float[] w = new float[targets.length];
        for (int i = 0; i < b; i++) {
            for (int t = 0; t + 1 < len; t++) {
                int label = t + 1 < labels[i].length ? labels[i][t + 1] : IGNORE;
                targets[i * (len - 1) + t] = label == IGNORE ? 0 : label;
                w[i * (len - 1) + t] = label == IGNORE ? 0f : weights == null ? 1f : weights[i][t + 1];
            }
        }
        NDArray logProbs = logits.reshape(-1, vocab).logSoftmax(-1); // (batch * (len - 1), vocab)
        NDArray picked = logProbs.gather(NdArrays.longs(scope, targets, targets.length, 1), 1); // (batch*(len-1), 1)
        return picked.reshape(-1).mul(NdArrays.floats(scope, w, w.length)).sum().neg();
    }
}
