package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks every derived text against the scene graph with logic written independently of the
 * generator: references are resolved by matching words against objects, positions and relations are
 * recomputed from coordinates and from rendered pixel masks.
 */
class WorldConsistencyTest {
    private static final long SEED = 20261123L;
    private static final World WORLD = World.builder().seed(SEED).build();

    private static final Pattern COLOUR_Q = Pattern.compile("what colour is the ([a-z ]+)\\?");
    private static final Pattern SHAPE_Q = Pattern.compile("what shape is the ([a-z ]+) object\\?");
    private static final Pattern COUNT_ALL = Pattern.compile("how many shapes are there\\?");
    private static final Pattern COUNT_COLOUR = Pattern.compile("how many ([a-z]+) shapes are there\\?");
    private static final Pattern COUNT_KIND = Pattern.compile("how many ([a-z]+) are there\\?");
    private static final Pattern POSITION_Q = Pattern.compile("where is the ([a-z ]+)\\?");
    private static final Pattern EXISTS_Q = Pattern.compile("is there an? ([a-z]+) ([a-z]+)\\?");
    private static final Pattern RELATION_Q = Pattern.compile(
            "what is the relationship between the ([a-z]+) ([a-z]+) and the ([a-z]+) ([a-z]+)\\?");
    private static final Pattern RELATION_A = Pattern.compile(
            "the ([a-z]+) ([a-z]+) is (left of|right of|above|below|overlapping) the ([a-z]+) ([a-z]+)");

    /** Objects whose size/colour/kind words include every word of {@code ref}. */
    private static List<SceneObject> resolve(Scene scene, String ref) {
        List<SceneObject> hits = new ArrayList<>();
        for (SceneObject o : scene.objects()) {
            Set<String> words = Set.of(o.size().word(), o.colour().word(), o.kind().word());
            if (words.containsAll(List.of(ref.split(" ")))) {
                hits.add(o);
            }
        }
        return hits;
    }

    private static SceneObject only(Scene scene, String ref, String context) {
        List<SceneObject> hits = resolve(scene, ref);
        assertEquals(1, hits.size(), "'" + ref + "' must name exactly one object: " + context);
        return hits.get(0);
    }

    /** The expected grid answer, computed from the centre without GridPosition. */
    private static String cell(SceneObject o) {
        String row = o.y() < 1.0 / 3 ? "top" : o.y() < 2.0 / 3 ? "" : "bottom";
        String col = o.x() < 1.0 / 3 ? "left" : o.x() < 2.0 / 3 ? "" : "right";
        String both = (row + " " + col).trim();
        return both.isEmpty() ? "centre" : both;
    }

    private static String context(Scene s, QaPair qa) {
        return "seed " + SEED + " " + s.name() + " " + s.objects() + " :: " + qa;
    }

    @Test
    void should_answer_every_question_consistently_with_the_scene_graph() {
        for (Split split : List.of(Split.TRAIN, Split.TEST)) {
            for (long i = 0; i < 300; i++) {
                Scene scene = WORLD.sample(split, i);
                List<boolean[]> masks = SceneMasks.rendered(scene);
                int yes = 0;
                int no = 0;
                for (QaPair qa : WORLD.questions(scene)) {
                    String ctx = context(scene, qa);
                    Matcher m;
                    switch (qa.type()) {
                        case COLOUR:
                            m = COLOUR_Q.matcher(qa.question());
                            assertTrue(m.matches(), ctx);
                            assertEquals(only(scene, m.group(1), ctx).colour().word(), qa.answer(), ctx);
                            break;
                        case SHAPE:
                            m = SHAPE_Q.matcher(qa.question());
                            assertTrue(m.matches(), ctx);
                            assertEquals(only(scene, m.group(1), ctx).kind().word(), qa.answer(), ctx);
                            break;
                        case COUNT:
                            assertEquals(expectedCount(scene, qa.question(), ctx), Integer.parseInt(qa.answer()), ctx);
                            break;
                        case POSITION:
                            m = POSITION_Q.matcher(qa.question());
                            assertTrue(m.matches(), ctx);
                            assertEquals(cell(only(scene, m.group(1), ctx)), qa.answer(), ctx);
                            break;
                        case EXISTENCE:
                            m = EXISTS_Q.matcher(qa.question());
                            assertTrue(m.matches(), ctx);
                            boolean exists = !resolve(scene, m.group(1) + " " + m.group(2)).isEmpty();
                            assertEquals(exists ? "yes" : "no", qa.answer(), ctx);
                            if (exists) {
                                yes++;
                            } else {
                                no++;
                            }
                            break;
                        case RELATIONSHIP:
                            checkRelationship(scene, masks, qa, ctx);
                            break;
                        case DESCRIPTION:
                            checkDescription(scene, qa.answer(), ctx);
                            break;
                        default:
                            fail("unknown type " + qa.type());
                    }
                }
                assertEquals(1, yes, "one yes per scene " + scene.name());
                assertEquals(1, no, "one no per scene " + scene.name());
            }
        }
    }

    private static int expectedCount(Scene scene, String question, String ctx) {
        if (COUNT_ALL.matcher(question).matches()) {
            return scene.objects().size();
        }
        Matcher m = COUNT_COLOUR.matcher(question);
        if (m.matches()) {
            return (int) scene.objects().stream().filter(o -> o.colour().word().equals(m.group(1))).count();
        }
        Matcher k = COUNT_KIND.matcher(question);
        assertTrue(k.matches(), ctx);
        ShapeKind kind = null;
        for (ShapeKind candidate : ShapeKind.values()) {
            if (candidate.plural().equals(k.group(1))) {
                kind = candidate;
            }
        }
        assertTrue(kind != null, "unknown plural in " + ctx);
        ShapeKind wanted = kind;
        return (int) scene.objects().stream().filter(o -> o.kind() == wanted).count();
    }

    private static void checkRelationship(Scene scene, List<boolean[]> masks, QaPair qa, String ctx) {
        Matcher q = RELATION_Q.matcher(qa.question());
        assertTrue(q.matches(), ctx);
        Matcher a = RELATION_A.matcher(qa.answer());
        assertTrue(a.matches(), ctx);
        assertEquals(q.group(1) + " " + q.group(2), a.group(1) + " " + a.group(2), ctx);
        assertEquals(q.group(3) + " " + q.group(4), a.group(4) + " " + a.group(5), ctx);
        SceneObject first = only(scene, q.group(1) + " " + q.group(2), ctx);
        SceneObject second = only(scene, q.group(3) + " " + q.group(4), ctx);
        int shared = SceneMasks.shared(
                masks.get(scene.objects().indexOf(first)), masks.get(scene.objects().indexOf(second)));
        double dx = second.x() - first.x();
        double dy = second.y() - first.y();
        switch (a.group(3)) {
            case "overlapping":
                assertTrue(shared > 0, "overlapping shapes share pixels: " + ctx);
                return;
            case "left of":
                assertTrue(dx > 0 && Math.abs(dx) >= 2 * Math.abs(dy), ctx);
                break;
            case "right of":
                assertTrue(dx < 0 && Math.abs(dx) >= 2 * Math.abs(dy), ctx);
                break;
            case "above":
                assertTrue(dy > 0 && Math.abs(dy) >= 2 * Math.abs(dx), ctx);
                break;
            case "below":
                assertTrue(dy < 0 && Math.abs(dy) >= 2 * Math.abs(dx), ctx);
                break;
            default:
                fail(ctx);
        }
        assertEquals(0, shared, "directional relation only between disjoint shapes: " + ctx);
    }

    private static void checkDescription(Scene scene, String description, String ctx) {
        String[] sentences = description.split("\\. ?");
        int n = scene.objects().size();
        String expectedHead = n == 1 ? "there is 1 shape" : "there are " + n + " shapes"; // as count answers
        assertEquals(expectedHead, sentences[0], ctx);
        assertEquals(n + 1, sentences.length, ctx);
        Set<String> described = new HashSet<>();
        for (int s = 1; s < sentences.length; s++) {
            described.add(sentences[s]);
        }
        Set<String> expected = new HashSet<>();
        for (SceneObject o : scene.objects()) {
            String where = cell(o);
            String phrase = where.equals("centre") ? "in the centre"
                    : where.equals("left") || where.equals("right") ? "on the " + where
                    : where.equals("top") || where.equals("bottom") ? "at the " + where
                    : "in the " + where;
            expected.add("a " + o.size().word() + " " + o.colour().word() + " " + o.kind().word() + " " + phrase);
        }
        assertEquals(expected, described, ctx);
        // fixed reading order: grid rows never go back up
        int lastRow = -1;
        for (int s = 1; s < sentences.length; s++) {
            int row = sentences[s].contains("top") ? 0 : sentences[s].contains("bottom") ? 2 : 1;
            assertTrue(row >= lastRow, "reading order in " + ctx);
            lastRow = row;
        }
    }

    @Test
    void should_write_every_count_as_the_digit_the_count_answer_uses_in_every_text() {
        Set<String> numberWords = Set.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                "nine");
        for (long i = 0; i < 300; i++) {
            Scene scene = WORLD.sample(i);
            List<String> texts = new ArrayList<>(WORLD.captions(scene));
            texts.add(WORLD.description(scene));
            String countAnswer = null;
            for (QaPair qa : WORLD.questions(scene)) {
                texts.add(qa.question());
                texts.add(qa.answer());
                if (qa.question().equals("how many shapes are there?")) {
                    countAnswer = qa.answer();
                }
            }
            for (String text : texts) {
                for (String word : World.tokenize(text)) {
                    assertFalse(numberWords.contains(word), "'" + word + "' in '" + text + "': counts are digits");
                }
            }
            assertEquals(Integer.toString(scene.objects().size()), countAnswer, scene.name());
            assertTrue(WORLD.description(scene).startsWith("there " + (countAnswer.equals("1") ? "is " : "are ")
                    + countAnswer + " shape"), WORLD.description(scene));
        }
    }

    @Test
    void should_make_hard_negatives_that_change_exactly_one_thing_of_the_located_caption() {
        Pattern object = Pattern.compile("an? (small|large) ([a-z]+) ([a-z]+) (?:in|at|on) the ([a-z ]+?)(?= and |, |$)");
        int[] kinds = new int[5]; // colour, kind, cell, colours swapped, kinds swapped
        for (long i = 0; i < 300; i++) {
            Scene scene = WORLD.sample(i);
            String located = WORLD.locatedCaption(scene);
            assertTrue(WORLD.captions(scene).contains(located), located + " is one of the captions");
            for (long d = 0; d < 3; d++) {
                String negative = WORLD.hardNegative(scene, d);
                assertEquals(negative, WORLD.hardNegative(scene, d), "deterministic");
                List<String[]> truth = objects(object, located);
                List<String[]> near = objects(object, negative);
                assertEquals(truth.size(), near.size(), negative);
                // compare as multisets of attribute tuples: exactly one object differs, in one attribute,
                // or two objects exchanged their colours or their kinds
                List<String> t = new ArrayList<>();
                List<String> n = new ArrayList<>();
                truth.forEach(o -> t.add(String.join("|", o)));
                near.forEach(o -> n.add(String.join("|", o)));
                List<String> onlyTruth = new ArrayList<>(t);
                n.forEach(onlyTruth::remove);
                List<String> onlyNear = new ArrayList<>(n);
                t.forEach(onlyNear::remove);
                assertFalse(onlyTruth.isEmpty(), "the negative must be false: " + located + " vs " + negative);
                assertEquals(onlyTruth.size(), onlyNear.size());
                if (onlyTruth.size() == 1) {
                    String[] a = onlyTruth.get(0).split("\\|");
                    String[] b = onlyNear.get(0).split("\\|");
                    int differ = 0;
                    for (int k = 0; k < 4; k++) {
                        if (!a[k].equals(b[k])) {
                            differ++;
                            kinds[k == 1 ? 0 : k == 2 ? 1 : 2]++;
                        }
                    }
                    assertEquals(1, differ, located + " vs " + negative);
                } else {
                    assertEquals(2, onlyTruth.size(), located + " vs " + negative);
                    String[] a = onlyTruth.get(0).split("\\|");
                    String[] b = onlyTruth.get(1).split("\\|");
                    // the two changed objects keep sizes and cells and trade exactly one of colour and kind
                    List<String> traded = new ArrayList<>();
                    traded.add(String.join("|", a[0], b[1], a[2], a[3]));
                    traded.add(String.join("|", b[0], a[1], b[2], b[3]));
                    boolean colours = onlyNear.containsAll(traded) && traded.containsAll(onlyNear);
                    traded.clear();
                    traded.add(String.join("|", a[0], a[1], b[2], a[3]));
                    traded.add(String.join("|", b[0], b[1], a[2], b[3]));
                    boolean kindsSwapped = onlyNear.containsAll(traded) && traded.containsAll(onlyNear);
                    // (in one cell at one size, a swap of kinds reads as a swap of colours)
                    assertTrue(colours || kindsSwapped,
                            "a swap of colours or of kinds: " + located + " vs " + negative);
                    kinds[colours ? 3 : 4]++;
                }
            }
        }
        for (int k : kinds) {
            assertTrue(k > 20, "every kind of change occurs: " + java.util.Arrays.toString(kinds));
        }
    }

    private static List<String[]> objects(Pattern object, String caption) {
        List<String[]> out = new ArrayList<>();
        Matcher m = object.matcher(caption);
        while (m.find()) {
            out.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4)});
        }
        return out;
    }

    @Test
    void should_mention_every_object_in_the_canonical_caption() {
        for (long i = 0; i < 300; i++) {
            Scene scene = WORLD.sample(i);
            List<String> captions = WORLD.captions(scene);
            assertTrue(captions.size() >= 4, "captions of " + scene.name());
            assertEquals(captions.size(), new HashSet<>(captions).size(), "distinct captions " + captions);
            String canonical = captions.get(0);
            for (SceneObject o : scene.objects()) {
                assertTrue(canonical.contains(o.size().word() + " " + o.colour().word() + " " + o.kind().word()),
                        canonical + " vs " + scene.objects());
            }
            assertEquals(canonical.toLowerCase(Locale.ROOT), canonical);
        }
    }

    @Test
    void should_keep_every_shape_identifiable_when_measured_on_rendered_masks() {
        int overlappingScenes = 0;
        for (long i = 0; i < 400; i++) {
            Scene scene = WORLD.sample(Split.VAL, i);
            List<boolean[]> masks = SceneMasks.rendered(scene);
            Set<String> combinations = new HashSet<>();
            boolean overlap = false;
            for (int k = 0; k < masks.size(); k++) {
                double visible = SceneMasks.visible(masks, k);
                assertTrue(visible >= 0.6, "shape " + k + " of " + scene.name() + " is only " + visible
                        + " visible: " + scene.objects());
                overlap |= visible < 1;
                SceneObject o = scene.objects().get(k);
                assertTrue(combinations.add(o.colour() + "/" + o.kind()), "repeated colour and kind " + scene);
            }
            if (overlap) {
                overlappingScenes++;
            }
        }
        assertTrue(overlappingScenes > 0, "overlaps are allowed and should occur in 400 scenes");
    }

    @Test
    void should_render_each_visible_shape_in_its_colour() {
        for (long i = 0; i < 100; i++) {
            Scene scene = WORLD.sample(i);
            BufferedImage image = WORLD.render(scene);
            List<boolean[]> masks = SceneMasks.rendered(scene);
            int n = scene.imageSize();
            for (int k = 0; k < masks.size(); k++) {
                int checked = 0;
                for (int y = 1; y < n - 1; y++) {
                    for (int x = 1; x < n - 1; x++) {
                        if (visibleInterior(masks, k, x, y, n)) {
                            assertEquals(scene.objects().get(k).colour().rgb(), image.getRGB(x, y) & 0xFFFFFF,
                                    "pixel (" + x + "," + y + ") of shape " + k + " in " + scene.name());
                            checked++;
                        }
                    }
                }
                assertTrue(checked > 0, "shape " + k + " of " + scene.name() + " has an interior");
            }
            // the background stays grey (R == G == B) away from every shape
            boolean[] any = new boolean[n * n];
            for (boolean[] m : masks) {
                for (int p = 0; p < any.length; p++) {
                    any[p] |= m[p];
                }
            }
            int rgb = image.getRGB(0, 0);
            if (!any[0]) {
                assertEquals((rgb >> 16) & 0xFF, rgb & 0xFF);
            }
        }
    }

    /**
     * The pixel and its 8 neighbours belong to shape k, and no later shape covers any pixel within
     * distance 2 (anti-aliased edges of a later shape bleed into pixels its hard mask leaves out).
     */
    private static boolean visibleInterior(List<boolean[]> masks, int k, int x, int y, int n) {
        for (int dy = -2; dy <= 2; dy++) {
            for (int dx = -2; dx <= 2; dx++) {
                int px = x + dx;
                int py = y + dy;
                if (px < 0 || py < 0 || px >= n || py >= n) {
                    continue;
                }
                int p = py * n + px;
                if (Math.abs(dx) <= 1 && Math.abs(dy) <= 1 && !masks.get(k)[p]) {
                    return false;
                }
                for (int j = k + 1; j < masks.size(); j++) {
                    if (masks.get(j)[p]) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    @Test
    void should_keep_held_out_combinations_out_of_training_only() {
        World world = World.builder().seed(4).holdOut(ShapeColour.PURPLE, ShapeKind.STAR)
                .holdOut(ShapeColour.RED, ShapeKind.CIRCLE).build();
        for (long i = 0; i < 400; i++) {
            Scene scene = world.sample(i);
            for (SceneObject o : scene.objects()) {
                assertFalse(o.colour() == ShapeColour.PURPLE && o.kind() == ShapeKind.STAR, scene.toString());
                assertFalse(o.colour() == ShapeColour.RED && o.kind() == ShapeKind.CIRCLE, scene.toString());
            }
            for (QaPair qa : world.questions(scene)) {
                assertFalse(qa.question().contains("purple star") || qa.question().contains("red circle"), qa.toString());
            }
            for (String caption : world.captions(scene)) {
                assertFalse(caption.contains("purple star") || caption.contains("red circle"), caption);
            }
        }
        boolean seenInTest = false;
        for (long i = 0; i < 400 && !seenInTest; i++) {
            for (SceneObject o : world.sample(Split.TEST, i).objects()) {
                seenInTest |= o.colour() == ShapeColour.PURPLE && o.kind() == ShapeKind.STAR;
            }
        }
        assertTrue(seenInTest, "held-out combinations appear in the test split");
    }

    @Test
    void should_derive_relations_symmetrically() {
        for (long i = 0; i < 200; i++) {
            Scene scene = WORLD.sample(i);
            for (int a = 0; a < scene.objects().size(); a++) {
                for (int b = 0; b < scene.objects().size(); b++) {
                    if (a != b) {
                        assertEquals(World.relation(scene, a, b).map(Relation::converse),
                                World.relation(scene, b, a), scene.toString());
                    }
                }
            }
        }
    }
}
