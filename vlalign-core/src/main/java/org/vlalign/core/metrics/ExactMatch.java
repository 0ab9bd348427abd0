package org.vlalign.core.metrics;

import java.util.Collection;
import java.util.List;
import org.vlalign.InvalidArgumentException;

/**
 * Exact match: 1 if the prediction equals one of the reference answers after both are normalised
 * with {@link AnswerNormalizer#normalize(String)} (so {@code "Two."} matches {@code "2"}), else 0.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class ExactMatch {
    private ExactMatch() {}

    /**
     * Scores one prediction.
     *
     * @param prediction the model's answer
     * @param references the accepted answers, at least one
     * @return 1 or 0
     * @throws InvalidArgumentException if there is no reference or an argument is null
     */
    public static double score(String prediction, Collection<String> references) {
        if (prediction == null || references == null || references.isEmpty()) {
            throw new InvalidArgumentException(
                    "exact match needs a prediction and at least one reference, got prediction "
                            + prediction + " and references " + references);
        }
        String p = AnswerNormalizer.normalize(prediction);
        for (String r : references) {
            if (r == null) {
                throw new InvalidArgumentException("references must not contain null: " + references);
            }
            if (AnswerNormalizer.normalize(r).equals(p)) {
                return 1.0;
            }
        }
        return 0.0;
    }

    /**
     * The mean exact match over questions.
     *
     * @param predictions one prediction per question
     * @param references the accepted answers of each question
     * @return the mean in [0, 1]
     * @throws InvalidArgumentException if the lists are empty or differ in size
     */
    public static double mean(List<String> predictions, List<? extends Collection<String>> references) {
        if (predictions == null || references == null || predictions.isEmpty()
                || predictions.size() != references.size()) {
            throw new InvalidArgumentException(
                    "predictions and references must be non-empty lists of equal size, got "
                            + (predictions == null ? "null" : predictions.size()) + " and "
                            + (references == null ? "null" : references.size()));
        }
        double sum = 0;
        for (int i = 0; i < predictions.size(); i++) {
            sum += score(predictions.get(i), references.get(i));
        }
        return sum / predictions.size();
    }
}
