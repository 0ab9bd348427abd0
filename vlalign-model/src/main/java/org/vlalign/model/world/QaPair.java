package org.vlalign.model.world;

import org.vlalign.Checks;

/**
 * One question about a scene with its exact answer.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param question the question, lower case, ending in {@code ?} (or {@code .} for instructions)
 * @param answer the answer; for every type but relationship and description a single word or a
 *     short phrase from a closed vocabulary, so exact match is meaningful
 * @param type what the question asks about
 * @since 0.1.0
 */
public record QaPair(String question, String answer, QaType type) {
    /** Validates that no part is null or empty. */
    public QaPair {
        Checks.checkNotNull(question, "question");
        Checks.checkNotNull(answer, "answer");
        Checks.checkNotNull(type, "type");
        Checks.checkArgument(!question.isBlank() && !answer.isBlank(),
                "question and answer must not be blank: '%s' -> '%s'", question, answer);
    }
}
