package org.vlalign.core.generate;

import java.util.Arrays;
import org.vlalign.FinishReason;
import org.vlalign.InvalidArgumentException;

/**
 * One generated sequence: its new token ids, why it ended, its score and its text.
 *
 * <p>Immutable and thread-safe (the id array is copied in and out).
 *
 * @param tokenIds the new tokens only, without the prompt and without a final end-of-sequence
 *     token; a stop string does not remove tokens
 * @param finishReason {@link FinishReason#EOS} if it ended with an end-of-sequence token, {@link
 *     FinishReason#STOP_STRING} if a stop string appeared in its text, otherwise the length limit
 *     that ended it
 * @param score for beam search Hugging Face's {@code sequences_scores} (sum of log-probabilities
 *     divided by the generated length, end-of-sequence token included, to the power of the length
 *     penalty); for greedy decoding and sampling the sum of the chosen tokens' log-probabilities
 *     under the processed distribution
 * @param text the detokenised {@code tokenIds}, cut before the stop string if one ended it
 * @since 0.1.0
 */
public record GeneratedSequence(int[] tokenIds, FinishReason finishReason, double score, String text) {

    /** Validates and copies. */
    public GeneratedSequence {
        if (tokenIds == null || finishReason == null || text == null) {
            throw new InvalidArgumentException("tokenIds, finishReason and text must not be null");
        }
        tokenIds = tokenIds.clone();
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    /**
     * The number of generated tokens.
     *
     * @return the length of {@link #tokenIds()}
     */
    public int length() {
        return tokenIds.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GeneratedSequence g
                && Arrays.equals(tokenIds, g.tokenIds)
                && finishReason == g.finishReason
                && Double.compare(score, g.score) == 0
                && text.equals(g.text);
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(tokenIds) * 31 + finishReason.hashCode()) * 31 + text.hashCode();
    }

    @Override
    public String toString() {
        return "GeneratedSequence[" + finishReason + ", score=" + score + ", ids="
                + Arrays.toString(tokenIds) + ", text=" + text + "]";
    }
}
