package org.vlalign.core.generate;

import org.vlalign.FinishReason;
import org.vlalign.spi.DecoderInput;

/**
 * What the strategies need to know about one input row: its prompt size, its distinct prompt token
 * ids (for the repetition penalty) and how many tokens it may generate.
 *
 * @param promptLength positions in the prompt, embeddings included
 * @param promptTokens the distinct token ids of the prompt
 * @param budget the most new tokens: {@code min(maxNewTokens, contextLength - promptLength)}
 * @param limitReason the finish reason when the budget is used up
 */
record RowPlan(int promptLength, int[] promptTokens, int budget, FinishReason limitReason) {

    static RowPlan of(DecoderInput input, int maxNewTokens, int contextLength, boolean[] scratch) {
        int length = input.length();
        int room = contextLength - length;
        int budget = Math.min(maxNewTokens, room);
        FinishReason limit = room < maxNewTokens ? FinishReason.CONTEXT_LENGTH : FinishReason.MAX_TOKENS;
        int count = 0;
        for (DecoderInput.Part p : input.parts()) {
            if (p instanceof DecoderInput.Tokens t) {
                count += t.ids().length;
            }
        }
        int[] distinct = new int[count];
        int n = 0;
        for (DecoderInput.Part p : input.parts()) {
            if (p instanceof DecoderInput.Tokens t) {
                for (int id : t.ids()) {
                    if (id >= 0 && id < scratch.length && !scratch[id]) {
                        scratch[id] = true;
                        distinct[n++] = id;
                    }
                }
            }
        }
        for (int i = 0; i < n; i++) {
            scratch[distinct[i]] = false;
        }
        return new RowPlan(length, java.util.Arrays.copyOf(distinct, n), budget, limit);
    }
}
