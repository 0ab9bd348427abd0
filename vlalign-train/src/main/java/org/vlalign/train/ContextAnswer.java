package org.vlalign.train;

import java.util.List;
import org.vlalign.InvalidArgumentException;

/**
 * A language-model training text in two parts: the context (e.g. a scene description and a question) and
 * the answer that follows it; {@link LanguageModelObjective#answerWeighted} weighs their tokens differently.
 * Follow-up turns (another question and its answer about the same context) may come after the answer, each
 * answer closed by the end-of-sequence token: one pass over a long shared context then trains several answers.
 *
 * <p>Immutable and thread-safe.
 *
 * @param context the text before the answer, may be empty
 * @param answer the answer, may be empty (then the whole text is context)
 * @param followUps further turns after the answer, each a question (its context) and a non-empty answer without
 *     follow-ups of its own; empty for a single turn
 * @since 0.2.0
 */
public record ContextAnswer(String context, String answer, List<ContextAnswer> followUps) {
    /** Validates and copies. */
    public ContextAnswer {
        if (context == null || answer == null || (context.isBlank() && answer.isBlank())) {
            throw new InvalidArgumentException("a training text needs a context or an answer, got context '"
                    + context + "' and answer '" + answer + "'");
        }
        followUps = followUps == null ? List.of() : List.copyOf(followUps);
        if (!followUps.isEmpty() && answer.isBlank()) {
            throw new InvalidArgumentException("follow-up turns come after an answer, but the answer is empty");
        }
        for (ContextAnswer turn : followUps) {
            if (turn.answer().isBlank() || turn.context().isBlank() || !turn.followUps().isEmpty()) {
                throw new InvalidArgumentException("a follow-up turn needs a question and an answer and no"
                        + " follow-ups of its own, got '" + turn.context() + "' -> '" + turn.answer() + "'");
            }
        }
    }

    /**
     * A single turn.
     *
     * @param context the text before the answer, may be empty
     * @param answer the answer, may be empty (then the whole text is context)
     */
    public ContextAnswer(String context, String answer) {
        this(context, answer, List.of());
    }

    /**
     * A text that is all context (a caption or description to model at the context weight).
     *
     * @param text the text
     * @return the item
     */
    public static ContextAnswer contextOnly(String text) {
        return new ContextAnswer(text, "");
    }
}
