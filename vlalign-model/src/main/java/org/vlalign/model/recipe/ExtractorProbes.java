package org.vlalign.model.recipe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.metrics.LinearProbe;
import org.vlalign.model.world.GridPosition;
import org.vlalign.model.world.Scene;
import org.vlalign.model.world.SceneObject;
import org.vlalign.model.world.ShapeColour;
import org.vlalign.model.world.ShapeKind;
import org.vlalign.model.world.ShapeSize;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.train.ContrastiveObjective;
import org.vlalign.train.ImageText;

/**
 * The recipe's gate on the feature extractor: ridge linear probes on its output (the adaptor's input, all
 * query rows flattened) for what the language model must read from an image and contrastive training alone
 * did not provide.
 *
 * <ul>
 *   <li><b>shape-of-colour</b>: for a colour that occurs once in the scene, the kind of that object (one probe
 *       per colour, 6 classes, chance about 0.17);
 *   <li><b>cell-of-shape</b>: for a kind that occurs once, the grid cell of that object (one probe per kind, 9
 *       classes, chance about 0.11).
 * </ul>
 *
 * <p>Probes fit on training scenes and are scored on held-out ones; an accuracy is the share of all held-out
 * (scene, colour) or (scene, kind) items its probe gets right.
 *
 * <p>{@link #captionReading} says which attribute words the captioning head reads from the image: the probes'
 * diagnosis when they fail. Stateless and thread-safe.
 *
 * @since 0.2.0
 */
public final class ExtractorProbes {
    /** The accuracy both probes must reach before the adaptor stages run. */
    public static final double GATE = 0.9;

    private ExtractorProbes() {}

    /**
     * The probes' held-out accuracies.
     *
     * <p>Immutable and thread-safe.
     *
     * @param shapeOfColour accuracy of the kind of the object of a given colour
     * @param cellOfShape accuracy of the cell of the object of a given kind
     * @param trainScenes scenes the probes were fitted on
     * @param testScenes scenes they were scored on
     */
    public record Result(double shapeOfColour, double cellOfShape, int trainScenes, int testScenes) {
        /**
         * Whether both reach {@link #GATE}.
         *
         * @return true if the extractor may go on to the adaptor stages
         */
        public boolean passed() {
            return shapeOfColour >= GATE && cellOfShape >= GATE;
        }

        /**
         * The metrics map recorded in {@code metrics.json}.
         *
         * @return the values by name
         */
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("shapeOfColour", shapeOfColour);
            m.put("cellOfShape", cellOfShape);
            m.put("gate", GATE);
            m.put("passed", passed());
            m.put("trainScenes", trainScenes);
            m.put("testScenes", testScenes);
            return m;
        }
    }

    /**
     * Measures the probes.
     *
     * @param extractor the trained feature extractor (queried with an empty instruction)
     * @param world the world
     * @param trainScenes training scenes to fit on, e.g. 1,000
     * @param testScenes held-out scenes to score on, e.g. 500
     * @return the accuracies
     */
    public static Result measure(FeatureExtractor extractor, World world, int trainScenes, int testScenes) {
        Items train = items(extractor, world, Split.TRAIN, trainScenes);
        Items test = items(extractor, world, Split.TEST, testScenes);
        double shape = probe(train.byColour, test.byColour, ShapeKind.values().length);
        double cell = probe(train.byKind, test.byKind, 9);
        return new Result(shape, cell, trainScenes, testScenes);
    }

    /** The attribute word classes of {@link #captionReading}, in reporting order. */
    public static final List<String> WORD_CLASSES = List.of("colour", "kind", "size", "position");

    /**
     * The captioning loss of each attribute word class in held-out captions, given the caption's own image and
     * given another image: a class read from the image costs much less with its own; a class the model only
     * guesses from the text costs the same with either (then the extractor has not learnt it).
     *
     * @param objective the extractor being trained, with its captioning head
     * @param pairs held-out images with their located captions; pair {@code i}'s other image is pair
     *     {@code i + 1}'s (cyclically), so at least 2
     * @return per class of {@link #WORD_CLASSES}, {@code {mean loss with the own image, with another}} in nats
     */
    public static Map<String, double[]> captionReading(ContrastiveObjective objective, List<ImageText> pairs) {
        if (pairs.size() < 2) {
            throw new InvalidArgumentException("caption reading compares images, so it needs at"
                    + " least 2 pairs but got " + pairs.size());
        }
        Map<String, String> classOf = new HashMap<>();
        for (ShapeColour c : ShapeColour.values()) {
            classOf.put(c.word(), "colour");
        }
        for (ShapeKind k : ShapeKind.values()) {
            classOf.put(k.word(), "kind");
        }
        for (ShapeSize z : ShapeSize.values()) {
            classOf.put(z.word(), "size");
        }
        for (GridPosition g : GridPosition.values()) {
            for (String w : g.answer().split(" ")) {
                classOf.put(w, "position");
            }
        }
        List<ImageInput> own = pairs.stream().map(ImageText::image).toList();
        List<ImageInput> other = new ArrayList<>(own.subList(1, own.size()));
        other.add(own.get(0));
        List<String> texts = pairs.stream().map(ImageText::text).toList();
        List<List<ContrastiveObjective.WordLoss>> withOwn = objective.captionWordLosses(own, texts);
        List<List<ContrastiveObjective.WordLoss>> withOther = objective.captionWordLosses(other, texts);
        Map<String, double[]> sums = new LinkedHashMap<>(); // class -> {own, other, count}
        for (String c : WORD_CLASSES) {
            sums.put(c, new double[3]);
        }
        for (int i = 0; i < texts.size(); i++) {
            for (int t = 0; t < withOwn.get(i).size(); t++) {
                String c = classOf.get(withOwn.get(i).get(t).word());
                if (c != null) {
                    double[] acc = sums.get(c);
                    acc[0] += withOwn.get(i).get(t).loss();
                    acc[1] += withOther.get(i).get(t).loss();
                    acc[2]++;
                }
            }
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        sums.forEach((c, acc) -> out.put(c, acc[2] == 0 ? new double[] {Double.NaN, Double.NaN}
                : new double[] {acc[0] / acc[2], acc[1] / acc[2]}));
        return out;
    }

    /**
     * {@link #captionReading} as one log line's text, e.g. {@code "colour 0.01/6.20 kind 1.61/1.70 ..."}.
     *
     * @param reading the reading
     * @return the text
     */
    public static String format(Map<String, double[]> reading) {
        StringBuilder sb = new StringBuilder();
        reading.forEach((c, v) -> sb.append(sb.length() == 0 ? "" : " ").append(c)
                .append(String.format(" %.2f/%.2f", v[0], v[1])));
        return sb.toString();
    }

    /** The items of both probes. */
    private record Items(ProbeSet byColour, ProbeSet byKind) {}

    /** Rows and labels of each probe. */
    private record ProbeSet(Map<Object, List<float[]>> rows, Map<Object, List<Integer>> labels) {
        static ProbeSet create() {
            return new ProbeSet(new LinkedHashMap<>(), new LinkedHashMap<>());
        }

        void add(Object key, float[] row, int label) {
            rows.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
            labels.computeIfAbsent(key, k -> new ArrayList<>()).add(label);
        }
    }

    private static Items items(FeatureExtractor extractor, World world, Split split, int scenes) {
        ProbeSet byColour = ProbeSet.create();
        ProbeSet byKind = ProbeSet.create();
        int chunk = 32;
        for (int from = 0; from < scenes; from += chunk) {
            List<Scene> part = new ArrayList<>();
            List<ImageInput> images = new ArrayList<>();
            List<String> instructions = new ArrayList<>();
            for (int i = from; i < Math.min(scenes, from + chunk); i++) {
                Scene s = world.sample(split, i);
                part.add(s);
                images.add(ImageInput.of(world.render(s)));
                instructions.add("");
            }
            List<Features> features = extractor.extractBatch(images, instructions);
            for (int i = 0; i < part.size(); i++) {
                float[] row = features.get(i).data();
                List<SceneObject> objects = part.get(i).objects();
                for (SceneObject o : objects) {
                    if (objects.stream().filter(p -> p.colour() == o.colour()).count() == 1) {
                        byColour.add(o.colour(), row, o.kind().ordinal());
                    }
                    if (objects.stream().filter(p -> p.kind() == o.kind()).count() == 1) {
                        byKind.add(o.kind(), row, o.position().ordinal());
                    }
                }
            }
        }
        return new Items(byColour, byKind);
    }

    /** Micro-averaged held-out accuracy over the keys' probes; a key unseen in training counts as wrong. */
    private static double probe(ProbeSet train, ProbeSet test, int classes) {
        int right = 0;
        int total = 0;
        for (Map.Entry<Object, List<float[]>> e : test.rows().entrySet()) {
            List<float[]> testRows = e.getValue();
            List<Integer> testLabels = test.labels().get(e.getKey());
            total += testRows.size();
            List<float[]> trainRows = train.rows().get(e.getKey());
            if (trainRows == null || trainRows.size() < 2) {
                continue;
            }
            int[] predicted = LinearProbe.predict(trainRows,
                    train.labels().get(e.getKey()).stream().mapToInt(Integer::intValue).toArray(), testRows, classes,
                    LinearProbe.DEFAULT_RIDGE);
            for (int i = 0; i < predicted.length; i++) {
                right += predicted[i] == testLabels.get(i) ? 1 : 0;
            }
        }
        return total == 0 ? Double.NaN : right / (double) total;
    }
}
