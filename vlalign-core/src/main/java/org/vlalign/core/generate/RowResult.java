package org.vlalign.core.generate;

import java.util.ArrayList;
import java.util.List;
import org.vlalign.Answer;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Timings;

/**
 * The sequences generated for one input row, best first.
 *
 * <p>Immutable and thread-safe.
 *
 * @param sequences best first; as many as {@link org.vlalign.GenerationConfig#numReturnSequences()}
 * @since 0.1.0
 */
public record RowResult(List<GeneratedSequence> sequences) {

    /** Validates and copies. */
    public RowResult {
        if (sequences == null || sequences.isEmpty()) {
            throw new InvalidArgumentException("a row result needs at least one sequence");
        }
        sequences = List.copyOf(sequences);
    }

    /**
     * The best sequence.
     *
     * @return the first sequence
     */
    public GeneratedSequence best() {
        return sequences.get(0);
    }

    /**
     * The public answer: the best sequence, with the others as its alternatives (which carry the
     * same prompt size and timings and no alternatives of their own).
     *
     * @param promptTokens the number of prompt positions, embeddings included
     * @param timings where the time went
     * @return the answer
     */
    public Answer toAnswer(int promptTokens, Timings timings) {
        List<Answer> alternatives = new ArrayList<>(sequences.size() - 1);
        for (GeneratedSequence s : sequences.subList(1, sequences.size())) {
            alternatives.add(answer(s, promptTokens, List.of(), timings));
        }
        return answer(best(), promptTokens, alternatives, timings);
    }

    private static Answer answer(
            GeneratedSequence s, int promptTokens, List<Answer> alternatives, Timings timings) {
        return new Answer(
                s.text(), s.tokenIds(), s.finishReason(), s.score(), promptTokens, alternatives, timings);
    }
}
