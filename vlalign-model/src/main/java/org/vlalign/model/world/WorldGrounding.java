package org.vlalign.model.world;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.vlalign.Answer;
import org.vlalign.Checks;
import org.vlalign.AskRequest;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlModel;
import org.vlalign.core.metrics.AnswerNormalizer;
import org.vlalign.core.metrics.ExactMatch;

/**
 * Tests of whether a model's answers come from the image rather than from the question alone, on held-out
 * scenes of the shapes world:
 *
 * <ul>
 *   <li>{@link #minimalPairs minimal pairs}: a scene and a copy that differs in exactly one thing (one
 *       shape's colour, one shape's kind, one shape moved to another grid cell, or one shape fewer), asked the
 *       questions whose answer that change alters; a pair counts when both answers are right. A model that
 *       ignores the image gets at most one side of each pair right.
 *   <li>{@link #blankImage a blank image}: each question asked about the scene's image and about a blank
 *       image of the world's background grey; the share of questions given the same answer both times. A
 *       model that ignores the image gives the same answer always (share 1).
 *   <li>{@link #swappedImages swapped images}: each scene's questions asked about another scene's image and
 *       scored against the first scene's answers; a model that reads the image falls to chance.
 * </ul>
 *
 * <p>Answers are greedy and scored by exact match ({@link ExactMatch}). Every measure is per question type;
 * types that a probe cannot alter are absent from its result.
 *
 * <p>Stateless and thread-safe; the model's own thread safety applies to the calls made on it.
 *
 * @since 0.2.0
 */
public final class WorldGrounding {
    /** Questions asked per {@link VlModel#askBatch} call. */
    private static final int BATCH = 16;
    /** The attribute types these probes use; relationships and descriptions have answers of their own. */
    private static final List<QaType> TYPES =
            List.of(QaType.COLOUR, QaType.SHAPE, QaType.COUNT, QaType.POSITION, QaType.EXISTENCE);

    private WorldGrounding() {}

    /**
     * A probe's result: a rate per question type and over all of its items.
     *
     * <p>Immutable and thread-safe.
     *
     * @param perType the rate per type label ({@link QaType#label()}), in {@link QaType} order
     * @param overall the rate over every item
     * @param items how many items (pairs or questions) were scored
     * @param examples up to 8 items as text (every seventh, right or wrong), for a look at the answers
     * @since 0.2.0
     */
    public record Result(Map<String, Double> perType, double overall, int items, List<String> examples) {
        /** Copies. */
        public Result {
            perType = Collections.unmodifiableMap(new LinkedHashMap<>(perType));
            examples = List.copyOf(examples);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "overall=%.3f items=%d", overall, items));
            perType.forEach((k, v) -> b.append(String.format(Locale.ROOT, " %s=%.3f", k, v)));
            return b.append(' ').append(examples).toString();
        }
    }

    /** One question about one scene: what is asked, the right answer, and the image to ask it about. */
    private record Item(QaType type, String question, String answer, BufferedImage image, String label) {}

    /**
     * Minimal pairs: for each scene, up to four single-change variants; for each question the change alters
     * (same question text, different answer), both the original and the variant must be answered right.
     *
     * @param model the model to probe
     * @param worldSeed a world seed (use one the model was not trained on)
     * @param scenes held-out scenes {@code 0..scenes-1}, 1 to 100,000
     * @param config generation settings (greedy with a few tokens is usual)
     * @return the share of pairs answered right on both sides, per type of the question
     * @throws InvalidArgumentException if {@code scenes} is out of range
     */
    public static Result minimalPairs(VlModel model, long worldSeed, int scenes, GenerationConfig config) {
        World world = checked(model, worldSeed, scenes, config);
        List<Item> items = new ArrayList<>(); // pairs: items 2k and 2k+1
        for (int i = 0; i < scenes; i++) {
            Scene scene = world.sample(Split.TEST, i);
            BufferedImage image = world.render(scene);
            Map<String, QaPair> original = byQuestion(world, scene);
            for (Scene variant : variants(world, scene)) {
                BufferedImage other = null;
                for (QaPair q : world.questions(variant)) {
                    QaPair p = original.get(q.question());
                    if (p == null || p.answer().equals(q.answer()) || !TYPES.contains(q.type())) {
                        continue;
                    }
                    if (other == null) {
                        other = world.render(variant);
                    }
                    String label = scene.name() + ": " + q.question();
                    items.add(new Item(q.type(), q.question(), p.answer(), image, label + " [original]"));
                    items.add(new Item(q.type(), q.question(), q.answer(), other, label + " [changed]"));
                }
            }
        }
        List<String> answers = answer(model, items, config);
        Rates rates = new Rates();
        for (int k = 0; k < items.size(); k += 2) {
            Item a = items.get(k);
            Item b = items.get(k + 1);
            boolean both = right(answers.get(k), a.answer()) && right(answers.get(k + 1), b.answer());
            rates.add(a.type(), both, a.label() + " expected " + a.answer() + "/" + b.answer() + " got "
                    + answers.get(k) + "/" + answers.get(k + 1));
        }
        return rates.result();
    }

    /**
     * A blank image: the share of questions that get the same answer about a blank image as about the scene
     * they were drawn for.
     *
     * @param model the model to probe
     * @param worldSeed a world seed
     * @param scenes held-out scenes {@code 0..scenes-1}, 1 to 100,000
     * @param config generation settings
     * @return the share of same answers per question type (lower means the image matters more)
     * @throws InvalidArgumentException if {@code scenes} is out of range
     */
    public static Result blankImage(VlModel model, long worldSeed, int scenes, GenerationConfig config) {
        World world = checked(model, worldSeed, scenes, config);
        BufferedImage blank = blank(world.imageSize());
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < scenes; i++) {
            Scene scene = world.sample(Split.TEST, i);
            BufferedImage image = world.render(scene);
            for (QaPair q : world.questions(scene)) {
                if (TYPES.contains(q.type())) {
                    items.add(new Item(q.type(), q.question(), q.answer(), image, scene.name() + ": " + q.question()));
                    items.add(new Item(q.type(), q.question(), q.answer(), blank, "blank: " + q.question()));
                }
            }
        }
        List<String> answers = answer(model, items, config);
        Rates rates = new Rates();
        for (int k = 0; k < items.size(); k += 2) {
            String seen = AnswerNormalizer.normalize(answers.get(k));
            String blankAnswer = AnswerNormalizer.normalize(answers.get(k + 1));
            rates.add(items.get(k).type(), seen.equals(blankAnswer),
                    items.get(k).label() + " scene " + answers.get(k) + " blank " + answers.get(k + 1));
        }
        return rates.result();
    }

    /**
     * Swapped images: each scene's questions asked about the next scene's image, scored against the first
     * scene's answers.
     *
     * @param model the model to probe
     * @param worldSeed a world seed
     * @param scenes held-out scenes {@code 0..scenes-1}, 2 to 100,000
     * @param config generation settings
     * @return exact match per question type with the wrong image (chance for a model that reads the image)
     * @throws InvalidArgumentException if {@code scenes} is out of range
     */
    public static Result swappedImages(VlModel model, long worldSeed, int scenes, GenerationConfig config) {
        World world = checked(model, worldSeed, scenes, config);
        if (scenes < 2) {
            throw new InvalidArgumentException("swapping images needs at least 2 scenes but got " + scenes);
        }
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < scenes; i++) {
            Scene scene = world.sample(Split.TEST, i);
            BufferedImage other = world.render(world.sample(Split.TEST, (i + 1) % scenes));
            for (QaPair q : world.questions(scene)) {
                if (TYPES.contains(q.type())) {
                    items.add(new Item(q.type(), q.question(), q.answer(), other, scene.name() + ": " + q.question()));
                }
            }
        }
        List<String> answers = answer(model, items, config);
        Rates rates = new Rates();
        for (int k = 0; k < items.size(); k++) {
            Item item = items.get(k);
            rates.add(item.type(), right(answers.get(k), item.answer()),
                    item.label() + " expected " + item.answer() + " got " + answers.get(k));
        }
        return rates.result();
    }

    /**
     * The single-change variants of a scene that still satisfy the world's rules (unique colour and kind
     * pairs, every shape mostly visible): the first shape in another colour, in another kind, moved to another
     * grid cell, and the scene without its last shape.
     *
     * @param world the scene's world
     * @param scene a scene
     * @return zero to four variants
     */
    static List<Scene> variants(World world, Scene scene) {
        List<SceneObject> objects = scene.objects();
        SceneObject o = objects.get(0);
        List<List<SceneObject>> candidates = new ArrayList<>();
        for (ShapeColour c : ShapeColour.values()) {
            if (objects.stream().noneMatch(x -> x.colour() == c)) {
                candidates.add(replaced(objects, new SceneObject(o.kind(), c, o.size(), o.x(), o.y(), o.radius())));
                break;
            }
        }
        for (ShapeKind k : ShapeKind.values()) {
            if (objects.stream().noneMatch(x -> x.kind() == k)) {
                candidates.add(replaced(objects, new SceneObject(k, o.colour(), o.size(), o.x(), o.y(), o.radius())));
                break;
            }
        }
        for (GridPosition cell : GridPosition.values()) {
            double x = (cell.column() + 0.5) / 3;
            double y = (cell.row() + 0.5) / 3;
            if (cell != o.position() && x - o.radius() > 0.01 && x + o.radius() < 0.99 && y - o.radius() > 0.01
                    && y + o.radius() < 0.99) {
                List<SceneObject> moved =
                        replaced(objects, new SceneObject(o.kind(), o.colour(), o.size(), x, y, o.radius()));
                if (valid(world, moved, true)) {
                    candidates.add(moved);
                    break;
                }
            }
        }
        if (objects.size() > 1) {
            candidates.add(objects.subList(0, objects.size() - 1));
        }
        List<Scene> out = new ArrayList<>();
        for (List<SceneObject> c : candidates) {
            if (valid(world, c, false)) {
                out.add(new Scene(scene.split(), scene.index(), scene.seed(), scene.imageSize(), c));
            }
        }
        return out;
    }

    private static List<SceneObject> replaced(List<SceneObject> objects, SceneObject first) {
        List<SceneObject> out = new ArrayList<>(objects);
        out.set(0, first);
        return out;
    }

    /** Every shape keeps the world's visible fraction; a moved first shape must also land clear of the others. */
    private static boolean valid(World world, List<SceneObject> objects, boolean moved) {
        List<boolean[]> masks = new ArrayList<>();
        for (SceneObject o : objects) {
            masks.add(ShapeGeometry.coverage(o, world.imageSize()));
        }
        for (int i = 1; moved && i < masks.size(); i++) {
            if (ShapeGeometry.intersection(masks.get(0), masks.get(i)) > 0) {
                return false;
            }
        }
        for (double v : ShapeGeometry.visibleFractions(masks)) {
            if (v < world.minVisibleFraction()) {
                return false;
            }
        }
        return masks.stream().allMatch(m -> ShapeGeometry.area(m) > 0);
    }

    private static Map<String, QaPair> byQuestion(World world, Scene scene) {
        Map<String, QaPair> out = new LinkedHashMap<>();
        for (QaPair q : world.questions(scene)) {
            out.putIfAbsent(q.question(), q);
        }
        return out;
    }

    private static BufferedImage blank(int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        int grey = World.BACKGROUND;
        int rgb = (grey << 16) | (grey << 8) | grey;
        int[] row = new int[size];
        java.util.Arrays.fill(row, rgb);
        for (int y = 0; y < size; y++) {
            image.setRGB(0, y, size, 1, row, 0, size);
        }
        return image;
    }

    private static List<String> answer(VlModel model, List<Item> items, GenerationConfig config) {
        List<String> out = new ArrayList<>(items.size());
        Function<Item, AskRequest> request = item -> new AskRequest(ImageInput.of(item.image()), item.question());
        for (int from = 0; from < items.size(); from += BATCH) {
            List<AskRequest> batch = items.subList(from, Math.min(items.size(), from + BATCH)).stream()
                    .map(request).toList();
            for (Answer a : model.askBatch(batch, config)) {
                out.add(a.text());
            }
        }
        return out;
    }

    private static boolean right(String prediction, String answer) {
        return ExactMatch.score(prediction, List.of(answer)) > 0;
    }

    private static World checked(VlModel model, long worldSeed, int scenes, GenerationConfig config) {
        Checks.checkNotNull(model, "model");
        Checks.checkNotNull(config, "config");
        if (scenes < 1 || scenes > 100_000) {
            throw new InvalidArgumentException("scenes must be between 1 and 100000 but was " + scenes);
        }
        return World.builder().seed(worldSeed).build();
    }

    /** Counts per type. */
    private static final class Rates {
        private final Map<QaType, int[]> counts = new LinkedHashMap<>();
        private final List<String> examples = new ArrayList<>(); // every seventh item, right or wrong
        private int hits;
        private int total;

        void add(QaType type, boolean hit, String text) {
            int[] c = counts.computeIfAbsent(type, t -> new int[2]);
            c[0] += hit ? 1 : 0;
            c[1]++;
            hits += hit ? 1 : 0;
            total++;
            if (examples.size() < 8 && total % 7 == 1) {
                examples.add(text);
            }
        }

        Result result() {
            Map<String, Double> perType = new LinkedHashMap<>();
            for (QaType t : QaType.values()) {
                int[] c = counts.get(t);
                if (c != null) {
                    perType.put(t.label(), c[0] / (double) c[1]);
                }
            }
            return new Result(perType, total == 0 ? Double.NaN : hits / (double) total, total, examples);
        }
    }
}
