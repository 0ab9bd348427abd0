package org.vlalign.model.world;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.vlalign.Checks;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.metrics.BoundingBox;
import org.vlalign.core.metrics.BoxAccuracy;
import org.vlalign.core.metrics.CiderD;
import org.vlalign.core.train.TrainingExample;

/**
 * Scores that fit the shapes world's answers where exact match does not.
 *
 * <ul>
 *   <li><b>Relationship</b>: right when the answer names the expected relation and the two expected objects
 *       (colour and kind), whatever the wording around them; the converse statement ("the blue square is right
 *       of the red circle" for "the red circle is left of the blue square") is the same fact and counts.
 *   <li><b>Description object F1</b>: the objects a description states, each as (size, colour, kind, grid
 *       cell), matched one to one with the reference's; precision, recall and their F1 over whole objects (an
 *       object with one wrong attribute is both a false positive and a miss).
 *   <li><b>Description CIDEr-D</b>: {@link CiderD} over the description questions of the evaluation.
 *   <li><b>Box</b>: the box answer parsed from the text ({@link BoundingBox#parse}, the first {@code [x0, y0,
 *       x1, y1]}) against the expected box: accuracy at IoU ≥ 0.5 and mean IoU ({@link BoxAccuracy}), an answer
 *       without a box scoring IoU 0.
 * </ul>
 *
 * <p>Stateless and thread-safe.
 *
 * <pre>{@code
 * WorldScores.Summary s = WorldScores.score(questions, predictions);
 * System.out.println(s.relationship() + " " + s.descriptionObjectF1() + " " + s.descriptionCiderD());
 * }</pre>
 *
 * @since 0.2.0
 */
public final class WorldScores {
    private static final List<GridPosition> LONGEST_FIRST = Arrays.stream(GridPosition.values())
            .sorted(Comparator.comparingInt((GridPosition p) -> -p.answer().length())).toList();
    private static final List<Relation> RELATIONS_LONGEST_FIRST = Arrays.stream(Relation.values())
            .sorted(Comparator.comparingInt((Relation r) -> -r.predicate().length())).toList();

    private WorldScores() {}

    /**
     * The world scores of an evaluation.
     *
     * <p>Immutable and thread-safe.
     *
     * @param relationshipItems the number of relationship questions
     * @param relationship the share of them answered with the right relation and both objects; NaN if none
     * @param descriptionItems the number of description questions
     * @param descriptionObjectF1 the mean object F1 over them; NaN if none
     * @param descriptionCiderD CIDEr-D over them (0 to about 10); NaN if none
     * @param box the IoU scores of the box questions; {@code items() == 0} (and NaN scores) if none
     * @since 0.2.0
     */
    public record Summary(int relationshipItems, double relationship, int descriptionItems,
            double descriptionObjectF1, double descriptionCiderD, BoxAccuracy box) {
        /** Validates. */
        public Summary {
            Checks.checkNotNull(box, "box");
        }

        /**
         * A summary without box questions, as before they existed.
         *
         * @param relationshipItems the number of relationship questions
         * @param relationship the share of them answered right; NaN if none
         * @param descriptionItems the number of description questions
         * @param descriptionObjectF1 the mean object F1 over them; NaN if none
         * @param descriptionCiderD CIDEr-D over them; NaN if none
         */
        public Summary(int relationshipItems, double relationship, int descriptionItems,
                double descriptionObjectF1, double descriptionCiderD) {
            this(relationshipItems, relationship, descriptionItems, descriptionObjectF1, descriptionCiderD,
                    BoxAccuracy.score(List.of(), List.of()));
        }
    }

    /**
     * Scores the relationship, description and box items of an evaluation (by their type labels {@code
     * relationship}, {@code description} and {@code box}) whose reference is a world statement, description or
     * box; other items are ignored, so a user's own question set with these type names is scored where the scores fit.
     *
     * @param items the questions, with their first reference as the expected answer
     * @param predictions one prediction per item
     * @return the summary
     * @throws InvalidArgumentException if the sizes differ
     */
    public static Summary score(List<TrainingExample> items, List<String> predictions) {
        if (items == null || predictions == null || items.size() != predictions.size()) {
            throw new InvalidArgumentException("need one prediction per item, got "
                    + (items == null ? 0 : items.size()) + " items and "
                    + (predictions == null ? 0 : predictions.size()) + " predictions");
        }
        int relItems = 0;
        double relRight = 0;
        List<String> descPredictions = new ArrayList<>();
        List<List<String>> descReferences = new ArrayList<>();
        double f1Sum = 0;
        List<BoundingBox> boxes = new ArrayList<>();
        List<Optional<BoundingBox>> predictedBoxes = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            TrainingExample e = items.get(i);
            String p = predictions.get(i);
            if (e.type().equals(QaType.RELATIONSHIP.label()) && statement(e.answer()).isPresent()) {
                relItems++;
                relRight += relationshipCorrect(p, e.answer()) ? 1 : 0;
            } else if (e.type().equals(QaType.DESCRIPTION.label()) && !objects(e.answer()).isEmpty()) {
                descPredictions.add(p);
                descReferences.add(e.references());
                f1Sum += descriptionObjectF1(p, e.answer());
            } else if (e.type().equals(QaType.BOX.label()) && BoundingBox.parse(e.answer()).isPresent()) {
                boxes.add(BoundingBox.parse(e.answer()).orElseThrow());
                predictedBoxes.add(BoundingBox.parse(p));
            }
        }
        int descItems = descPredictions.size();
        return new Summary(relItems, relItems == 0 ? Double.NaN : relRight / relItems, descItems,
                descItems == 0 ? Double.NaN : f1Sum / descItems,
                descItems == 0 ? Double.NaN : CiderD.score(descPredictions, descReferences).mean(),
                BoxAccuracy.score(boxes, predictedBoxes));
    }

    /**
     * Whether a relationship answer states the expected fact.
     *
     * @param predicted the model's answer
     * @param expected the reference, e.g. {@code the red circle is left of the blue square}
     * @return true if it names the same relation between the same two objects (or the converse)
     * @throws InvalidArgumentException if the reference is not a relationship statement
     */
    public static boolean relationshipCorrect(String predicted, String expected) {
        Statement want = statement(expected).orElseThrow(() -> new InvalidArgumentException("'" + expected
                + "' is not a relationship statement such as 'the red circle is left of the blue square'"));
        Optional<Statement> got = statement(predicted == null ? "" : predicted);
        return got.isPresent() && (got.get().equals(want) || got.get().converse().equals(want));
    }

    /**
     * The object-level F1 of a description.
     *
     * @param predicted the model's description
     * @param expected the reference description
     * @return F1 in [0, 1]; 1 when neither states an object
     */
    public static double descriptionObjectF1(String predicted, String expected) {
        List<DescribedObject> want = objects(expected);
        List<DescribedObject> got = objects(predicted == null ? "" : predicted);
        if (want.isEmpty() && got.isEmpty()) {
            return 1;
        }
        List<DescribedObject> unmatched = new ArrayList<>(want);
        int hits = 0;
        for (DescribedObject o : got) {
            if (unmatched.remove(o)) { // one reference object per predicted object
                hits++;
            }
        }
        if (hits == 0) {
            return 0;
        }
        double precision = hits / (double) got.size();
        double recall = hits / (double) want.size();
        return 2 * precision * recall / (precision + recall);
    }

    /** One object as a description states it; null for an attribute it leaves out. */
    record DescribedObject(ShapeSize size, ShapeColour colour, ShapeKind kind, GridPosition position) {}

    /** The objects of a description: one per sentence that names a kind of shape. */
    static List<DescribedObject> objects(String description) {
        List<DescribedObject> out = new ArrayList<>();
        for (String sentence : description.toLowerCase(Locale.ROOT).split("[.;\\n]")) {
            List<String> words = World.tokenize(sentence.replace(',', ' '));
            for (int k = 0; k < words.size(); k++) {
                ShapeKind kind = kind(words.get(k));
                if (kind == null) {
                    continue;
                }
                int from = k; // attributes before the kind, back to the previous object of the sentence
                while (from > 0 && kind(words.get(from - 1)) == null) {
                    from--;
                }
                ShapeSize size = null;
                ShapeColour colour = null;
                for (String w : words.subList(from, k)) {
                    size = size == null ? size(w) : size;
                    colour = colour == null ? colour(w) : colour;
                }
                int to = k + 1; // the position follows the kind, up to the next kind
                while (to < words.size() && kind(words.get(to)) == null) {
                    to++;
                }
                out.add(new DescribedObject(size, colour, kind, position(words.subList(k + 1, to))));
            }
        }
        return out;
    }

    private static GridPosition position(List<String> words) {
        String text = " " + String.join(" ", words) + " ";
        for (GridPosition p : LONGEST_FIRST) {
            if (text.contains(" " + p.answer() + " ")) {
                return p;
            }
        }
        return null;
    }

    /** An object named by colour and kind. */
    record Named(ShapeColour colour, ShapeKind kind) {}

    /** "A is relation B". */
    record Statement(Named a, Relation relation, Named b) {
        Statement converse() {
            return new Statement(b, relation.converse(), a);
        }
    }

    /** The statement of an answer: the first relation word, the object just before it and the one after it. */
    static Optional<Statement> statement(String text) {
        List<String> words = World.tokenize(text.replace('.', ' ').replace(',', ' '));
        String t = " " + String.join(" ", words) + " ";
        for (Relation r : RELATIONS_LONGEST_FIRST) {
            int at = t.indexOf(" " + r.predicate() + " ");
            if (at < 0) {
                continue;
            }
            List<String> before = World.tokenize(t.substring(0, at));
            List<String> after = World.tokenize(t.substring(at + r.predicate().length() + 1));
            Named a = lastObject(before);
            Named b = firstObject(after);
            return a == null || b == null ? Optional.empty() : Optional.of(new Statement(a, r, b));
        }
        return Optional.empty();
    }

    /** The last "colour kind" pair of the words, or null. */
    private static Named lastObject(List<String> words) {
        for (int i = words.size() - 1; i > 0; i--) {
            if (kind(words.get(i)) != null && colour(words.get(i - 1)) != null) {
                return new Named(colour(words.get(i - 1)), kind(words.get(i)));
            }
        }
        return null;
    }

    /** The first "colour kind" pair of the words, or null. */
    private static Named firstObject(List<String> words) {
        for (int i = 1; i < words.size(); i++) {
            if (kind(words.get(i)) != null && colour(words.get(i - 1)) != null) {
                return new Named(colour(words.get(i - 1)), kind(words.get(i)));
            }
        }
        return null;
    }

    private static final Map<String, ShapeKind> KINDS = byWord(ShapeKind.values(), ShapeKind::word);
    private static final Map<String, ShapeColour> COLOURS = byWord(ShapeColour.values(), ShapeColour::word);
    private static final Map<String, ShapeSize> SIZES = byWord(ShapeSize.values(), ShapeSize::word);

    private static <E> Map<String, E> byWord(E[] values, Function<E, String> word) {
        Map<String, E> out = new HashMap<>();
        for (E v : values) {
            out.put(word.apply(v), v);
        }
        return Map.copyOf(out);
    }

    private static ShapeKind kind(String word) {
        return KINDS.get(word);
    }

    private static ShapeColour colour(String word) {
        return COLOURS.get(word);
    }

    private static ShapeSize size(String word) {
        return SIZES.get(word);
    }
}
