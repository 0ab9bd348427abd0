package org.vlalign.model.recipe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.core.metrics.LinearProbe;
import org.vlalign.model.world.Scene;
import org.vlalign.model.world.SceneObject;
import org.vlalign.model.world.ShapeKind;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;

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
 * (scene, colour) or (scene, kind) items its probe gets right. Stateless and thread-safe.
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
