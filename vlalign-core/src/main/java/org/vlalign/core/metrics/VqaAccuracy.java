package org.vlalign.core.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlalign.InvalidArgumentException;

/**
 * VQA accuracy as the official evaluation script ({@code vqaEval.py} of GT-Vision-Lab/VQA) computes
 * it.
 *
 * <p>For one question with human answers {@code h_1 … h_n} (10 in VQA v2) the accuracy of a
 * prediction is the average, over the {@code n} subsets that leave one human answer out, of {@code
 * min(1, matches / 3)}, where {@code matches} counts the answers of the subset equal to the
 * prediction. With 10 answers: 3 or more matches give 1, two give 0.6, one gives 0.3 (see the
 * tests). As in the script:
 *
 * <ul>
 *   <li>the prediction is {@linkplain AnswerNormalizer#normalize(String) normalised fully};
 *   <li>human answers are trimmed, and passed through {@linkplain
 *       AnswerNormalizer#punctuation(String) the punctuation step} only when they are not all equal;
 *       they are expected to be normalised already, as VQA's annotation files are. {@link
 *       #normalizingHumanAnswers()} also applies the full normalisation to them, for raw answers
 *       collected elsewhere (its scores are not comparable with the official ones).
 * </ul>
 *
 * <p>{@link #evaluate(List)} averages over questions, overall and per question type and answer type
 * (the script's {@code perQuestionType} and {@code perAnswerType}); values are fractions in [0, 1],
 * not the script's percentages rounded to two decimals.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class VqaAccuracy {
    private static final VqaAccuracy OFFICIAL = new VqaAccuracy(false);
    private static final VqaAccuracy NORMALIZING = new VqaAccuracy(true);

    private final boolean normalizeHumanAnswers;

    private VqaAccuracy(boolean normalizeHumanAnswers) {
        this.normalizeHumanAnswers = normalizeHumanAnswers;
    }

    /**
     * The official metric.
     *
     * @return the metric
     */
    public static VqaAccuracy official() {
        return OFFICIAL;
    }

    /**
     * The official metric, except that human answers are normalised fully too.
     *
     * @return the metric
     */
    public static VqaAccuracy normalizingHumanAnswers() {
        return NORMALIZING;
    }

    /**
     * The accuracy of one prediction.
     *
     * @param prediction the model's answer
     * @param humanAnswers the human answers, at least 2
     * @return the accuracy in [0, 1]
     * @throws InvalidArgumentException if there are fewer than 2 human answers or one is null
     */
    public double score(String prediction, List<String> humanAnswers) {
        if (prediction == null) {
            throw new InvalidArgumentException("prediction must not be null");
        }
        if (humanAnswers == null || humanAnswers.size() < 2) {
            throw new InvalidArgumentException(
                    "VQA accuracy needs at least 2 human answers (VQA v2 has 10) but got "
                            + (humanAnswers == null ? "null" : humanAnswers.size()));
        }
        String predicted = AnswerNormalizer.normalize(prediction);
        List<String> humans = new ArrayList<>(humanAnswers.size());
        for (String h : humanAnswers) {
            if (h == null) {
                throw new InvalidArgumentException("human answers must not contain null: " + humanAnswers);
            }
            humans.add(h.replace('\n', ' ').replace('\t', ' ').strip());
        }
        if (normalizeHumanAnswers) {
            humans.replaceAll(AnswerNormalizer::normalize);
        } else if (new HashSet<>(humans).size() > 1) {
            humans.replaceAll(AnswerNormalizer::punctuation);
        }
        double sum = 0;
        for (int left = 0; left < humans.size(); left++) {
            int matches = 0;
            for (int j = 0; j < humans.size(); j++) {
                if (j != left && humans.get(j).equals(predicted)) {
                    matches++;
                }
            }
            sum += Math.min(1.0, matches / 3.0);
        }
        return sum / humans.size();
    }

    /**
     * One evaluated question.
     *
     * @param questionType the question type, such as {@code what color is the}
     * @param answerType the answer type, such as {@code yes/no}, {@code number}, {@code other}
     * @param prediction the model's answer
     * @param humanAnswers the human answers
     * @since 0.1.0
     */
    public record Item(String questionType, String answerType, String prediction, List<String> humanAnswers) {
        /** Validates and copies. */
        public Item {
            if (questionType == null || answerType == null || prediction == null || humanAnswers == null) {
                throw new InvalidArgumentException("questionType, answerType, prediction and humanAnswers must not be null");
            }
            humanAnswers = List.copyOf(humanAnswers);
        }
    }

    /**
     * Accuracies over a set of questions, as fractions in [0, 1].
     *
     * @param overall the mean over all questions
     * @param perQuestionType the mean per question type, in first-seen order
     * @param perAnswerType the mean per answer type, in first-seen order
     * @param questions the number of questions
     * @since 0.1.0
     */
    public record Report(
            double overall, Map<String, Double> perQuestionType, Map<String, Double> perAnswerType, int questions) {
        /** Copies. */
        public Report {
            perQuestionType = Collections.unmodifiableMap(new LinkedHashMap<>(perQuestionType));
            perAnswerType = Collections.unmodifiableMap(new LinkedHashMap<>(perAnswerType));
        }
    }

    /**
     * Scores every item and averages.
     *
     * @param items the questions, at least one
     * @return the report
     * @throws InvalidArgumentException if there are no items
     */
    public Report evaluate(List<Item> items) {
        if (items == null || items.isEmpty()) {
            throw new InvalidArgumentException("evaluate needs at least one item");
        }
        double total = 0;
        GroupedMeans byQuestion = new GroupedMeans();
        GroupedMeans byAnswer = new GroupedMeans();
        for (Item item : items) {
            double acc = score(item.prediction(), item.humanAnswers());
            total += acc;
            byQuestion.add(item.questionType(), acc);
            byAnswer.add(item.answerType(), acc);
        }
        return new Report(total / items.size(), byQuestion.means(), byAnswer.means(), items.size());
    }
}
