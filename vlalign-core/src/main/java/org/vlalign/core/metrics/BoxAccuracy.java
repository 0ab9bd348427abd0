package org.vlalign.core.metrics;

import java.util.List;
import java.util.Optional;
import org.vlalign.InvalidArgumentException;

/**
 * Referring-expression comprehension scores of a set of predicted boxes: the share with IoU ≥ {@link
 * BoundingBox#ACCEPTED_IOU} against the truth (accuracy@0.5, the RefCOCO metric) and the mean IoU. A prediction
 * the answer held no box for counts, with IoU 0, and is counted apart as unparseable.
 *
 * <pre>{@code
 * BoxAccuracy s = BoxAccuracy.score(truths, answers.stream().map(BoundingBox::parse).toList());
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param items the number of boxes scored
 * @param unparseable how many of them had no predicted box (scored IoU 0)
 * @param accuracy the share with IoU ≥ 0.5, in [0, 1]; NaN if there are no items
 * @param meanIou the mean IoU, in [0, 1]; NaN if there are no items
 * @since 0.3.0
 */
public record BoxAccuracy(int items, int unparseable, double accuracy, double meanIou) {

    /**
     * Scores predictions against the truth, item by item.
     *
     * @param truths the true boxes
     * @param predictions the predicted boxes, empty where the answer held none; as many as {@code truths}
     * @return the scores
     * @throws InvalidArgumentException if the sizes differ or a list holds null
     */
    public static BoxAccuracy score(List<BoundingBox> truths, List<Optional<BoundingBox>> predictions) {
        if (truths == null || predictions == null || truths.size() != predictions.size()) {
            throw new InvalidArgumentException("need one prediction per true box, got "
                    + (truths == null ? 0 : truths.size()) + " boxes and "
                    + (predictions == null ? 0 : predictions.size()) + " predictions");
        }
        int hits = 0;
        int unparseable = 0;
        double sum = 0;
        for (int i = 0; i < truths.size(); i++) {
            BoundingBox truth = truths.get(i);
            Optional<BoundingBox> p = predictions.get(i);
            if (truth == null || p == null) {
                throw new InvalidArgumentException("item " + i + " has a null box or prediction");
            }
            double iou = p.map(truth::iou).orElse(0.0);
            unparseable += p.isEmpty() ? 1 : 0;
            hits += iou >= BoundingBox.ACCEPTED_IOU ? 1 : 0;
            sum += iou;
        }
        int n = truths.size();
        return new BoxAccuracy(n, unparseable, n == 0 ? Double.NaN : hits / (double) n,
                n == 0 ? Double.NaN : sum / n);
    }
}
