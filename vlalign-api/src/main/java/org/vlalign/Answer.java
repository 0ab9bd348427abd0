package org.vlalign;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A generated answer: its text, token ids, why it ended, token counts and timings.
 *
 * <p>Immutable and thread-safe.
 *
 * @param text the decoded new tokens, cut before a stop string if one ended generation
 * @param tokenIds the new token ids (without the prompt, without a final end-of-sequence token)
 * @param finishReason why generation ended
 * @param score the sequence score: for beam search Hugging Face's {@code sequences_scores} (sum of
 *     log-probabilities divided by length to the power of the length penalty); otherwise the sum of
 *     the chosen tokens' log-probabilities under the processed distribution
 * @param promptTokens the number of prompt positions, embeddings included
 * @param alternatives further sequences when more than one was requested, best first; empty
 *     otherwise
 * @param timings where the time went
 * @param attentionMap where the answer looked in the image, when {@link GenerationConfig#attentionMap()} asked
 *     for it; empty otherwise (since 0.2.0)
 * @since 0.1.0
 */
public record Answer(
        String text,
        int[] tokenIds,
        FinishReason finishReason,
        double score,
        int promptTokens,
        List<Answer> alternatives,
        Timings timings,
        Optional<AttentionMap> attentionMap) {

    /** Validates and copies. */
    public Answer {
        Checks.checkNotNull(text, "text");
        Checks.checkNotNull(tokenIds, "tokenIds");
        Checks.checkNotNull(finishReason, "finishReason");
        Checks.checkArgument(promptTokens >= 0, "promptTokens must be >= 0");
        tokenIds = tokenIds.clone();
        alternatives = List.copyOf(Checks.checkNotNull(alternatives, "alternatives"));
        Checks.checkNotNull(timings, "timings");
        Checks.checkNotNull(attentionMap, "attentionMap");
    }

    /**
     * An answer without an attention map.
     *
     * @param text the decoded new tokens
     * @param tokenIds the new token ids
     * @param finishReason why generation ended
     * @param score the sequence score
     * @param promptTokens the number of prompt positions
     * @param alternatives further sequences, best first
     * @param timings where the time went
     */
    public Answer(String text, int[] tokenIds, FinishReason finishReason, double score, int promptTokens,
            List<Answer> alternatives, Timings timings) {
        this(text, tokenIds, finishReason, score, promptTokens, alternatives, timings, Optional.empty());
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }

    /**
     * The number of generated tokens.
     *
     * @return the count
     */
    public int generatedTokens() {
        return tokenIds.length;
    }

    /**
     * A copy with other timings.
     *
     * @param newTimings the timings
     * @return the answer
     */
    public Answer withTimings(Timings newTimings) {
        return new Answer(text, tokenIds, finishReason, score, promptTokens, alternatives, newTimings, attentionMap);
    }

    /**
     * A copy with an attention map.
     *
     * @param map the map, or null for none
     * @return the answer
     * @since 0.2.0
     */
    public Answer withAttentionMap(AttentionMap map) {
        return new Answer(text, tokenIds, finishReason, score, promptTokens, alternatives, timings,
                Optional.ofNullable(map));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Answer a
                && text.equals(a.text)
                && Arrays.equals(tokenIds, a.tokenIds)
                && finishReason == a.finishReason
                && Double.compare(score, a.score) == 0
                && promptTokens == a.promptTokens
                && alternatives.equals(a.alternatives)
                && attentionMap.equals(a.attentionMap);
    }

    @Override
    public int hashCode() {
        return text.hashCode() * 31 + Arrays.hashCode(tokenIds);
    }

    @Override
    public String toString() {
        return "Answer[" + finishReason + ", " + tokenIds.length + " tokens: " + text + "]";
    }
}
