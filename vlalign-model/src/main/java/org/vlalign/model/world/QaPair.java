package org.vlalign.model.world;

import java.util.Objects;

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
        Objects.requireNonNull(question, "question");
        Objects.requireNonNull(answer, "answer");
        Objects.requireNonNull(type, "type");
        if (question.isBlank() || answer.isBlank()) {
            throw new IllegalArgumentException(
                    "question and answer must not be blank: '" + question + "' -> '" + answer + "'");
        }
    }
}
