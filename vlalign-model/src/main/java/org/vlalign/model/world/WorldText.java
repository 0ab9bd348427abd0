package org.vlalign.model.world;

import com.google.common.base.Verify;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Derives every text of one scene from its scene graph: captions, the description and the
 * questions. Not thread-safe; {@link World} makes one per call.
 */
final class WorldText {
    /** Overlap share of the smaller shape above which two shapes are "overlapping". */
    static final double OVERLAP_SHARE = 0.05;
    /** Smallest centre offset (image fraction) along the main axis for a directional relation. */
    static final double MIN_OFFSET = 0.15;
    /** The main axis offset must be this many times the other axis offset. */
    static final double AXIS_DOMINANCE = 2.0;

    private static final long QUESTION_SALT = 0x7175657374L;
    private static final int MAX_RELATIONSHIP_QUESTIONS = 2;
    // Counts are written as digits in every text (captions, description, count answers) so that the
    // description states the very token a count answer needs. The words stay in the vocabulary only, so
    // tokenizers built before keep their ids.
    private static final String[] NUMBER_WORDS = {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"
    };
    /** The box question about an object named {@code %s}: the instruction style of the description queries. */
    static final String BOX_QUESTION = "give the bounding box of the %s.";
    // The words of box questions and answers. They are not in vocabulary(): tokenizers shipped before box questions
    // must keep matching it (see boxVocabulary()).
    private static final String BOX_WORDS = "give the bounding box of . [ ] ,";
    private static final List<String> DESCRIBE_QUERIES =
            List.of("describe the image in detail.", "give a detailed description of the image.");
    // Every word the templates below use literally; enum words are added in vocabulary().
    private static final String TEMPLATE_WORDS =
            "a an the is are there on grey background picture of and coloured shapes shape what"
                    + " colour object how many where relationship between describe image in detail"
                    + " give detailed description yes no at to left right above below overlapping"
                    + " top bottom centre . , ?";

    private final Scene scene;
    private final List<SceneObject> objects;
    private final List<boolean[]> masks;

    WorldText(Scene scene) {
        this.scene = scene;
        this.objects = scene.objects();
        this.masks = new ArrayList<>();
        for (SceneObject o : objects) {
            masks.add(ShapeGeometry.coverage(o, scene.imageSize()));
        }
    }

    static Set<String> vocabulary() {
        Set<String> words = new LinkedHashSet<>(List.of(TEMPLATE_WORDS.split(" ")));
        for (ShapeKind k : ShapeKind.values()) {
            words.add(k.word());
            words.add(k.plural());
        }
        for (ShapeColour c : ShapeColour.values()) {
            words.add(c.word());
        }
        for (ShapeSize s : ShapeSize.values()) {
            words.add(s.word());
        }
        for (GridPosition p : GridPosition.values()) {
            words.addAll(tokenize(p.answer()));
            words.addAll(tokenize(p.phrase()));
        }
        for (Relation r : Relation.values()) {
            words.addAll(tokenize(r.predicate()));
            words.addAll(tokenize(r.captionPhrase()));
        }
        for (String q : DESCRIBE_QUERIES) {
            words.addAll(tokenize(q));
        }
        for (int i = 0; i <= World.MAX_SHAPES; i++) {
            words.add(Integer.toString(i));
            words.add(NUMBER_WORDS[i]);
        }
        return words;
    }

    /**
     * The tokens box questions and answers add to {@link #vocabulary()}: the question's words, the brackets, and
     * the numbers a box's coordinates split into ({@code "0.12"} is {@code 0 . 12}; {@code "1.00"} is {@code 1 .
     * 00}).
     */
    static Set<String> boxVocabulary() {
        Set<String> words = new LinkedHashSet<>(List.of(BOX_WORDS.split(" ")));
        words.add("0");
        words.add("1");
        for (int i = 0; i < 100; i++) {
            words.add(String.format(Locale.ROOT, "%02d", i));
        }
        words.removeAll(vocabulary());
        return words;
    }

    static List<String> tokenize(String text) {
        List<String> tokens = new ArrayList<>();
        for (String chunk : text.toLowerCase(Locale.ROOT).trim().split("\\s+")) {
            StringBuilder word = new StringBuilder();
            for (int i = 0; i < chunk.length(); i++) {
                char c = chunk.charAt(i);
                if (c == '.' || c == ',' || c == '?' || c == '[' || c == ']') {
                    if (word.length() > 0) {
                        tokens.add(word.toString());
                        word.setLength(0);
                    }
                    tokens.add(String.valueOf(c));
                } else {
                    word.append(c);
                }
            }
            if (word.length() > 0) {
                tokens.add(word.toString());
            }
        }
        return tokens;
    }

    // ---------------------------------------------------------------- relations

    Optional<Relation> relation(int a, int b) {
        Verify.verify(a != b, "an object has no relation to itself: index %s", a); // callers pair distinct objects
        boolean[] ma = masks.get(a);
        boolean[] mb = masks.get(b);
        int shared = ShapeGeometry.intersection(ma, mb);
        if (shared > 0) {
            int smaller = Math.min(ShapeGeometry.area(ma), ShapeGeometry.area(mb));
            return shared >= Math.max(2, OVERLAP_SHARE * smaller)
                    ? Optional.of(Relation.OVERLAPPING)
                    : Optional.empty(); // merely touching: neither overlapping nor clearly apart
        }
        if (ShapeGeometry.intersection(dilate(ma), mb) > 0) {
            // Within one pixel of each other: anti-aliased edges meet, so "left of" and the like
            // would describe shapes that look as if they touch.
            return Optional.empty();
        }
        SceneObject oa = objects.get(a);
        SceneObject ob = objects.get(b);
        double dx = ob.x() - oa.x(); // > 0: a is left of b
        double dy = ob.y() - oa.y(); // > 0: a is above b (y grows downwards)
        double major = Math.max(Math.abs(dx), Math.abs(dy));
        double minor = Math.min(Math.abs(dx), Math.abs(dy));
        if (major < MIN_OFFSET || major < AXIS_DOMINANCE * minor) {
            return Optional.empty();
        }
        if (Math.abs(dx) >= Math.abs(dy)) {
            return Optional.of(dx > 0 ? Relation.LEFT_OF : Relation.RIGHT_OF);
        }
        return Optional.of(dy > 0 ? Relation.ABOVE : Relation.BELOW);
    }

    /** The mask grown by one pixel in all eight directions. */
    private boolean[] dilate(boolean[] mask) {
        int n = scene.imageSize();
        boolean[] grown = new boolean[mask.length]; // (row * n + column)
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                if (!mask[y * n + x]) {
                    continue;
                }
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int px = x + dx;
                        int py = y + dy;
                        if (px >= 0 && py >= 0 && px < n && py < n) {
                            grown[py * n + px] = true;
                        }
                    }
                }
            }
        }
        return grown;
    }

    // ---------------------------------------------------------------- captions

    /** Object indices in reading order: grid row, grid column, then x, then y. */
    private List<Integer> readingOrder() {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < objects.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingInt(i -> objects.get(i).position().row())
                .thenComparingInt(i -> objects.get(i).position().column())
                .thenComparingDouble(i -> objects.get(i).x())
                .thenComparingDouble(i -> objects.get(i).y()));
        return order;
    }

    static String article(String nounPhrase) {
        return "aeiou".indexOf(nounPhrase.charAt(0)) >= 0 ? "an " + nounPhrase : "a " + nounPhrase;
    }

    /** "a, b and c". */
    private static String list(List<String> items) {
        if (items.size() == 1) {
            return items.get(0);
        }
        return String.join(", ", items.subList(0, items.size() - 1))
                + " and " + items.get(items.size() - 1);
    }

    List<String> captions() {
        List<Integer> order = readingOrder();
        List<String> full = new ArrayList<>();
        List<String> located = new ArrayList<>();
        List<String> plain = new ArrayList<>();
        for (int i : order) {
            SceneObject o = objects.get(i);
            full.add(article(o.fullName()));
            located.add(article(o.fullName()) + " " + o.position().phrase());
            plain.add(article(o.colourKind()));
        }
        Set<String> captions = new LinkedHashSet<>();
        int n = order.size();
        if (n == 2) {
            Optional<Relation> rel = relation(order.get(0), order.get(1));
            if (rel.isPresent()) {
                captions.add(full.get(0) + " " + rel.get().captionPhrase() + " " + full.get(1));
            }
            captions.add(list(full));
            captions.add(list(located));
            captions.add(list(plain) + " on a grey background");
            captions.add("a picture of " + list(full));
            rel.ifPresent(r -> captions.add(
                    full.get(1) + " " + r.converse().captionPhrase() + " " + full.get(0)));
        } else if (n == 1) {
            captions.add(located.get(0));
            captions.add(full.get(0));
            captions.add("there is " + located.get(0));
            captions.add(plain.get(0) + " on a grey background");
            captions.add("a picture of " + full.get(0));
        } else {
            captions.add(list(full));
            captions.add(list(located));
            captions.add(list(plain) + " on a grey background");
            captions.add("a picture of " + list(full));
            captions.add(n + " coloured shapes on a grey background");
        }
        return List.copyOf(captions);
    }

    /** The located caption of a list of objects: every object with size, colour, kind and cell, in reading order. */
    static String locatedCaption(List<SceneObject> objects) {
        List<SceneObject> sorted = new ArrayList<>(objects);
        sorted.sort(Comparator.<SceneObject>comparingInt(o -> o.position().row())
                .thenComparingInt(o -> o.position().column())
                .thenComparingDouble(SceneObject::x)
                .thenComparingDouble(SceneObject::y));
        List<String> located = new ArrayList<>();
        for (SceneObject o : sorted) {
            located.add(article(o.fullName()) + " " + o.position().phrase());
        }
        return list(located);
    }

    /**
     * The located caption of this scene with exactly one thing changed: one object's colour, kind or cell, or
     * the colours or the kinds of two objects swapped; never a caption that is still true.
     *
     * <p>Swapped kinds are there because swapped colours alone do not need the kind: the two objects' cells
     * already tell which colour is where. Only a kind swap makes a model bind each kind to its place and colour.
     */
    String hardNegative(SplitMix rng) {
        String truth = locatedCaption(objects);
        for (int attempt = 0; attempt < 64; attempt++) {
            List<SceneObject> changed = new ArrayList<>(objects);
            int i = rng.nextInt(objects.size());
            SceneObject o = objects.get(i);
            int change = rng.nextInt(5);
            if (change >= 3 && objects.size() > 1) { // swap colours (3) or kinds (4) with another object
                int j = rng.nextInt(objects.size() - 1);
                j = j >= i ? j + 1 : j;
                SceneObject p = objects.get(j);
                boolean colours = change == 3;
                changed.set(i, new SceneObject(colours ? o.kind() : p.kind(), colours ? p.colour() : o.colour(),
                        o.size(), o.x(), o.y(), o.radius()));
                changed.set(j, new SceneObject(colours ? p.kind() : o.kind(), colours ? o.colour() : p.colour(),
                        p.size(), p.x(), p.y(), p.radius()));
            } else if (change == 0 || change == 3) {
                ShapeColour c = ShapeColour.values()[rng.nextInt(ShapeColour.values().length)];
                changed.set(i, new SceneObject(o.kind(), c, o.size(), o.x(), o.y(), o.radius()));
            } else if (change == 1 || change == 4) {
                ShapeKind k = ShapeKind.values()[rng.nextInt(ShapeKind.values().length)];
                changed.set(i, new SceneObject(k, o.colour(), o.size(), o.x(), o.y(), o.radius()));
            } else {
                GridPosition cell = GridPosition.values()[rng.nextInt(GridPosition.values().length)];
                changed.set(i, new SceneObject(o.kind(), o.colour(), o.size(), (cell.column() + 0.5) / 3,
                        (cell.row() + 0.5) / 3, o.radius()));
            }
            String negative = locatedCaption(changed);
            if (!sameObjects(objects, changed)) {
                return negative;
            }
        }
        throw new IllegalStateException("no one-change negative found for " + truth); // 64 draws never all fail
    }

    /** Whether two object lists state the same (size, colour, kind, cell) multiset. */
    private static boolean sameObjects(List<SceneObject> a, List<SceneObject> b) {
        List<String> x = new ArrayList<>();
        List<String> y = new ArrayList<>();
        a.forEach(o -> x.add(o.fullName() + " " + o.position()));
        b.forEach(o -> y.add(o.fullName() + " " + o.position()));
        x.sort(null);
        y.sort(null);
        return x.equals(y);
    }

    String description() {
        List<Integer> order = readingOrder();
        int n = order.size();
        StringBuilder text = new StringBuilder(n == 1 ? "there is 1 shape." : "there are " + n + " shapes.");
        for (int i : order) {
            SceneObject o = objects.get(i);
            text.append(' ').append(article(o.fullName())).append(' ')
                    .append(o.position().phrase()).append('.');
        }
        return text.toString();
    }

    // ---------------------------------------------------------------- questions

    List<QaPair> questions(Set<World.Combination> unmentionable) {
        SplitMix rng = new SplitMix(scene.seed() ^ QUESTION_SALT);
        List<Integer> order = readingOrder();
        List<QaPair> qa = new ArrayList<>();
        // Colour: name the object by kind, or by size and kind, whichever is unique.
        for (int i : order) {
            SceneObject o = objects.get(i);
            String ref = null;
            if (countMatching(null, o.kind(), null) == 1) {
                ref = o.kind().word();
            } else if (countMatching(null, o.kind(), o.size()) == 1) {
                ref = o.size().word() + " " + o.kind().word();
            }
            if (ref != null) {
                qa.add(new QaPair("what colour is the " + ref + "?", o.colour().word(), QaType.COLOUR));
            }
        }
        // Shape: name the object by colour, or by size and colour, whichever is unique.
        for (int i : order) {
            SceneObject o = objects.get(i);
            String ref = null;
            if (countMatching(o.colour(), null, null) == 1) {
                ref = o.colour().word();
            } else if (countMatching(o.colour(), null, o.size()) == 1) {
                ref = o.size().word() + " " + o.colour().word();
            }
            if (ref != null) {
                qa.add(new QaPair(
                        "what shape is the " + ref + " object?", o.kind().word(), QaType.SHAPE));
            }
        }
        // Count: all shapes, one colour, one kind (present half of the time, else any).
        qa.add(new QaPair("how many shapes are there?", Integer.toString(objects.size()), QaType.COUNT));
        ShapeColour colour = rng.nextBoolean()
                ? rng.pick(objects).colour()
                : ShapeColour.values()[rng.nextInt(ShapeColour.values().length)];
        qa.add(new QaPair("how many " + colour.word() + " shapes are there?",
                Integer.toString(countMatching(colour, null, null)), QaType.COUNT));
        ShapeKind kind = rng.nextBoolean()
                ? rng.pick(objects).kind()
                : ShapeKind.values()[rng.nextInt(ShapeKind.values().length)];
        qa.add(new QaPair("how many " + kind.plural() + " are there?",
                Integer.toString(countMatching(null, kind, null)), QaType.COUNT));
        // Position: name the object by kind if unique, else by colour and kind (always unique).
        for (int i : order) {
            SceneObject o = objects.get(i);
            String ref = countMatching(null, o.kind(), null) == 1 ? o.kind().word() : o.colourKind();
            qa.add(new QaPair("where is the " + ref + "?", o.position().answer(), QaType.POSITION));
        }
        // Existence: one present and one absent combination per scene, in random order; half of
        // the absent ones share colour or kind with a present object (hard negatives).
        SceneObject present = rng.pick(objects);
        QaPair yes = new QaPair(existence(present.colour(), present.kind()), "yes", QaType.EXISTENCE);
        World.Combination absent = absentCombination(rng, unmentionable);
        QaPair no = new QaPair(existence(absent.colour(), absent.kind()), "no", QaType.EXISTENCE);
        if (rng.nextBoolean()) {
            qa.add(yes);
            qa.add(no);
        } else {
            qa.add(no);
            qa.add(yes);
        }
        // Relationship: up to two pairs with a clear relation, random pair order.
        List<int[]> pairs = new ArrayList<>();
        for (int a = 0; a < objects.size(); a++) {
            for (int b = a + 1; b < objects.size(); b++) {
                if (relation(a, b).isPresent()) {
                    pairs.add(rng.nextBoolean() ? new int[] {a, b} : new int[] {b, a});
                }
            }
        }
        shuffle(pairs, rng);
        for (int[] p : pairs.subList(0, Math.min(MAX_RELATIONSHIP_QUESTIONS, pairs.size()))) {
            SceneObject a = objects.get(p[0]);
            SceneObject b = objects.get(p[1]);
            Relation r = relation(p[0], p[1]).orElseThrow();
            qa.add(new QaPair(
                    "what is the relationship between the " + a.colourKind() + " and the "
                            + b.colourKind() + "?",
                    "the " + a.colourKind() + " is " + r.predicate() + " the " + b.colourKind(),
                    QaType.RELATIONSHIP));
        }
        qa.add(new QaPair(rng.pick(DESCRIBE_QUERIES), description(), QaType.DESCRIPTION));
        return List.copyOf(qa);
    }

    /**
     * One box question per object, in reading order, naming the object as position questions do (by kind if that
     * is unique, else by colour and kind). No random draw: the questions of {@link #questions} and their random
     * stream stay exactly as they were before box questions existed.
     */
    List<QaPair> boxQuestions() {
        List<QaPair> qa = new ArrayList<>();
        for (int i : readingOrder()) {
            SceneObject o = objects.get(i);
            String ref = countMatching(null, o.kind(), null) == 1 ? o.kind().word() : o.colourKind();
            qa.add(new QaPair(boxQuestion(ref),
                    ShapeGeometry.box(o, scene.imageSize()).format(), QaType.BOX));
        }
        return List.copyOf(qa);
    }

    /** The box question about the object named {@code ref} ("red circle"). */
    static String boxQuestion(String ref) {
        return String.format(Locale.ROOT, BOX_QUESTION, ref);
    }

    private static String existence(ShapeColour colour, ShapeKind kind) {
        return "is there " + article(colour.word() + " " + kind.word()) + "?";
    }

    private World.Combination absentCombination(SplitMix rng, Set<World.Combination> unmentionable) {
        boolean hard = rng.nextBoolean();
        List<World.Combination> candidates = new ArrayList<>();
        List<World.Combination> all = new ArrayList<>();
        for (ShapeColour c : ShapeColour.values()) {
            for (ShapeKind k : ShapeKind.values()) {
                World.Combination combination = new World.Combination(c, k);
                if (countMatching(c, k, null) > 0 || unmentionable.contains(combination)) {
                    continue;
                }
                all.add(combination);
                if (countMatching(c, null, null) > 0 || countMatching(null, k, null) > 0) {
                    candidates.add(combination);
                }
            }
        }
        return rng.pick(hard && !candidates.isEmpty() ? candidates : all);
    }

    /** Counts objects matching every non-null attribute. */
    int countMatching(ShapeColour colour, ShapeKind kind, ShapeSize size) {
        int n = 0;
        for (SceneObject o : objects) {
            if ((colour == null || o.colour() == colour)
                    && (kind == null || o.kind() == kind)
                    && (size == null || o.size() == size)) {
                n++;
            }
        }
        return n;
    }

    private static <T> void shuffle(List<T> items, SplitMix rng) {
        for (int i = items.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            T t = items.get(i);
            items.set(i, items.get(j));
            items.set(j, t);
        }
    }
}
