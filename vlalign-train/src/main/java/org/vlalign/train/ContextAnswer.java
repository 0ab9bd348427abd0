package org.vlalign.train;

import org.vlalign.InvalidArgumentException;

/**
 * A language-model training text in two parts: the context (e.g. a scene description and a question) and
 * the answer that follows it; {@link LanguageModelObjective#answerWeighted} weighs their tokens differently.
 *
 * <p>Immutable and thread-safe.
 *
 * @param context the text before the answer, may be empty
 * @param answer the answer, may be empty (then the whole text is context)
 * @since 0.2.0
 */
public record ContextAnswer(String context, String answer) {
    /** Validates. */
    public ContextAnswer {
        if (context == null || answer == null || (context.isBlank() && answer.isBlank())) {
            throw new InvalidArgumentException("a training text needs a context or an answer, got context '"
                    + context + "' and answer '" + answer + "'");
        }
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
