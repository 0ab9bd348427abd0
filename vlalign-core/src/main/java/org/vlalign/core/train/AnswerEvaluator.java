package org.vlalign.core.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.vlalign.Adaptor;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LanguageModel;
import org.vlalign.PromptWrapper;
import org.vlalign.core.metrics.ExactMatch;
import org.vlalign.core.metrics.GroupedMeans;
import org.vlalign.core.metrics.VqaAccuracy;

/**
 * Scores predicted answers against an evaluation set: exact match for every item and VQA accuracy for
 * items with at least two accepted answers (VQA's ten human answers), overall and per {@link
 * TrainingExample#type()}.
 *
 * <p>Exact match is {@link ExactMatch} against {@link TrainingExample#references()}; VQA accuracy is the
 * official {@link VqaAccuracy}. Stateless and thread-safe; the predictor is called once per item, in
 * order, on the calling thread.
 *
 * <pre>{@code
 * AnswerEvaluator.Report r = AnswerEvaluator.evaluate(evalSet, ex -> model.ask(...).text());
 * System.out.println(r.exactMatch() + " " + r.perTypeExactMatch());
 * }</pre>
 *
 * @since 0.1.0
 */
public final class AnswerEvaluator {

    private AnswerEvaluator() {}

    /**
     * The scores of one evaluation.
     *
     * <p>Immutable and thread-safe.
     *
     * @param items the number of items
     * @param exactMatch the mean exact match in [0, 1]
     * @param perTypeExactMatch the mean exact match per type, in first-seen order
     * @param vqaItems the number of items with at least two accepted answers
     * @param vqaAccuracy the mean VQA accuracy over those, NaN when there are none
     * @param perTypeVqaAccuracy the mean VQA accuracy per type over those
     * @param predictions the predictions, in item order
     * @since 0.1.0
     */
    public record Report(int items, double exactMatch, Map<String, Double> perTypeExactMatch, int vqaItems,
            double vqaAccuracy, Map<String, Double> perTypeVqaAccuracy, List<String> predictions) {
        /** Copies. */
        public Report {
            perTypeExactMatch = Collections.unmodifiableMap(new LinkedHashMap<>(perTypeExactMatch));
            perTypeVqaAccuracy = Collections.unmodifiableMap(new LinkedHashMap<>(perTypeVqaAccuracy));
            predictions = List.copyOf(predictions);
        }
    }

    /**
     * Predicts and scores every item.
     *
     * @param items the evaluation set, at least one item
     * @param predictor the model's answer for an item
     * @return the report
     * @throws InvalidArgumentException if the set is empty or a prediction is null
     */
    public static Report evaluate(List<TrainingExample> items, Function<TrainingExample, String> predictor) {
        if (items == null || items.isEmpty() || predictor == null) {
            throw new InvalidArgumentException("evaluation needs at least one item and a predictor");
        }
        List<String> predictions = new ArrayList<>(items.size());
        for (TrainingExample item : items) {
            String p = predictor.apply(item);
            if (p == null) {
                throw new InvalidArgumentException("the predictor returned null for image " + item.image());
            }
            predictions.add(p);
        }
        return score(items, predictions);
    }

    /**
     * Scores given predictions.
     *
     * @param items the evaluation set
     * @param predictions one prediction per item
     * @return the report
     * @throws InvalidArgumentException if the sizes differ or the set is empty
     */
    public static Report score(List<TrainingExample> items, List<String> predictions) {
        if (items == null || predictions == null || items.isEmpty() || items.size() != predictions.size()) {
            throw new InvalidArgumentException("need one prediction per item, got "
                    + (items == null ? 0 : items.size()) + " items and "
                    + (predictions == null ? 0 : predictions.size()) + " predictions");
        }
        GroupedMeans em = new GroupedMeans();
        GroupedMeans vqa = new GroupedMeans();
        double emSum = 0;
        double vqaSum = 0;
        int vqaItems = 0;
        for (int i = 0; i < items.size(); i++) {
            TrainingExample item = items.get(i);
            double e = ExactMatch.score(predictions.get(i), item.references());
            emSum += e;
            em.add(item.type(), e);
            if (item.references().size() >= 2) {
                double a = VqaAccuracy.official().score(predictions.get(i), item.references());
                vqaSum += a;
                vqaItems++;
                vqa.add(item.type(), a);
            }
        }
        return new Report(items.size(), emSum / items.size(), em.means(), vqaItems,
                vqaItems == 0 ? Double.NaN : vqaSum / vqaItems, vqa.means(), predictions);
    }

    /**
     * A predictor that answers an item the way a composed model does: features → adaptor → prompt
     * wrapper (the item's query) → language model.
     *
     * @param features the features of an item's image
     * @param adaptor the (trained) adaptor
     * @param wrapper the prompt template
     * @param languageModel the language model
     * @param generation the generation settings, e.g. greedy with a few dozen new tokens
     * @return the predictor; thread-safe if its parts are
     */
    public static Function<TrainingExample, String> predictor(FeatureSource features, Adaptor adaptor,
            PromptWrapper wrapper, LanguageModel languageModel, GenerationConfig generation) {
        if (features == null || adaptor == null || wrapper == null || languageModel == null || generation == null) {
            throw new InvalidArgumentException("features, adaptor, wrapper, languageModel and generation must not be null");
        }
        return item -> languageModel.generate(
                wrapper.wrap(adaptor.adapt(features.features(item)), item.query()), generation).text().strip();
    }
}
