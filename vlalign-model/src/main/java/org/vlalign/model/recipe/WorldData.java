package org.vlalign.model.recipe;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongUnaryOperator;
import java.util.stream.IntStream;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.model.world.QaPair;
import org.vlalign.model.world.QaType;
import org.vlalign.model.world.Scene;
import org.vlalign.model.world.SceneObject;
import org.vlalign.model.world.ShapeColour;
import org.vlalign.model.world.ShapeKind;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.train.ContextAnswer;
import org.vlalign.train.ImageLabels;

/**
 * The recipe's in-memory views of a {@link World}: images with captions for the contrastive stage, and
 * the text corpus (captions, questions with answers, descriptions) for language-model pre-training.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class WorldData {
    /** Hard negatives kept per scene (each changes one detail of the located caption). */
    static final int HARD_NEGATIVES = 4;

    private WorldData() {}

    /**
     * Renders scenes {@code first..first+n-1} of a split with all their captions, and {@value #HARD_NEGATIVES}
     * hard negatives of the located caption for image–text matching.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @return one entry per scene, in index order
     */
    public static List<ImageCaptions> imageCaptions(World world, Split split, long first, int n) {
        return IntStream.range(0, n).parallel()
                .mapToObj(i -> {
                    Scene scene = world.sample(split, first + i);
                    List<String> captions = world.captions(scene);
                    List<String> negatives = new ArrayList<>();
                    for (long d = 0; d < HARD_NEGATIVES; d++) {
                        negatives.add(world.hardNegative(scene, d));
                    }
                    return new ImageCaptions(ImageInput.of(world.render(scene)), captions, negatives,
                            captions.indexOf(world.locatedCaption(scene)));
                })
                .toList();
    }

    /** Labels of {@link #sceneLabels}: a kind in a cell, a colour in a cell, then a colour on a kind. */
    public static final int SCENE_LABELS = 9 * ShapeKind.values().length + 9 * ShapeColour.values().length
            + ShapeColour.values().length * ShapeKind.values().length;

    /**
     * Scenes {@code first..first+n-1} of a split as yes/no labels of their images, for pre-training the vision
     * tower ({@link org.vlalign.train.VisionLabelObjective}): for each grid cell and each kind whether that kind
     * is in that cell ({@code cell * kinds + kind}), for each cell and colour whether that colour is there
     * ({@code 9 * kinds + cell * colours + colour}), then for each colour and kind whether a shape of that kind
     * has that colour ({@code 9 * kinds + 9 * colours + colour * kinds + kind}). {@value #SCENE_LABELS} labels.
     * The last group says which colour goes with which shape, what the first two hold only through the cells.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param images the scenes' rendered images, in index order (e.g. those of {@link #imageCaptions}, so
     *     the images are not held twice)
     * @return one entry per image
     */
    public static List<ImageLabels> sceneLabels(World world, Split split, long first, List<ImageInput> images) {
        List<ImageLabels> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            out.add(new ImageLabels(images.get(i), SCENE_LABELS, labels(world.sample(split, first + i))));
        }
        return out;
    }

    /**
     * One scene of a split, rendered, with the labels of {@link #sceneLabels}: for streams of fresh scenes,
     * since the vision tower begins to learn the labels of a fixed 20,000 by heart.
     *
     * @param world the world
     * @param split the split
     * @param index the scene index
     * @return the labelled image
     */
    public static ImageLabels sceneLabels(World world, Split split, long index) {
        Scene scene = world.sample(split, index);
        return new ImageLabels(ImageInput.of(world.render(scene)), SCENE_LABELS, labels(scene));
    }

    private static BitSet labels(Scene scene) {
        int kinds = ShapeKind.values().length;
        int colours = ShapeColour.values().length;
        BitSet yes = new BitSet(SCENE_LABELS);
        for (SceneObject o : scene.objects()) {
            int cell = o.position().ordinal();
            yes.set(cell * kinds + o.kind().ordinal());
            yes.set(9 * kinds + cell * colours + o.colour().ordinal());
            yes.set(9 * kinds + 9 * colours + o.colour().ordinal() * kinds + o.kind().ordinal());
        }
        return yes;
    }

    /**
     * The language-model corpus of scenes {@code first..first+n-1}: per scene every caption, the
     * description, and each question with its answer after the scene's description ({@code "description
     * question answer"}).
     *
     * <p>Questions come after the description, never alone, so the pre-trained model learns to answer from
     * what precedes the question rather than from the question's prior: that is the skill a frozen language
     * model needs for the adaptor's image prefix to steer it (a large pre-trained LM has it from its corpus).
     * Trained on bare {@code "question answer"} lines, the adaptor stages left colour answers at chance.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @return the texts, scene by scene
     */
    public static List<String> corpus(World world, Split split, long first, int n) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Scene scene = world.sample(split, first + i);
            texts.addAll(world.captions(scene));
            String description = world.description(scene);
            texts.add(description);
            for (QaPair qa : world.questions(scene)) {
                texts.add(description + " " + qa.question() + " " + qa.answer());
            }
        }
        return texts;
    }

    /**
     * The language-model corpus of {@link #corpus} as context and answer: captions and the description are
     * all context; each question is {@code "description question"} context with its answer.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @return the texts, scene by scene
     * @since 0.2.0
     */
    public static List<ContextAnswer> weightedCorpus(World world, Split split, long first, int n) {
        List<ContextAnswer> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Scene scene = world.sample(split, first + i);
            world.captions(scene).forEach(c -> texts.add(ContextAnswer.contextOnly(c)));
            String description = world.description(scene);
            texts.add(ContextAnswer.contextOnly(description));
            for (QaPair qa : world.questions(scene)) {
                texts.add(new ContextAnswer(description + " " + qa.question(), qa.answer()));
            }
        }
        return texts;
    }

    /**
     * Reading drills for language-model pre-training: per scene its description followed by {@code queries}
     * look-ups drawn with replacement, each a name of one object and, as its answer, the attribute to read off the
     * description: a kind → the colour written before it, a colour → the kind written after it, and with {@code
     * cells} a kind → its cell ({@code "top left"}). Without {@code twoWordNames} only one-word names are used (a
     * kind or colour only one object has); with it objects are named as the scene's questions name them (by kind
     * or colour if that is unique, else by size and kind or size and colour, and by colour and kind for a cell
     * when the kind repeats). An object with no such name is not asked about, and a scene with nothing to ask is
     * skipped.
     *
     * <p>The drills are the world's questions without the question words. The look-up they need (find the named
     * words in the context, copy their neighbour) is the first skill a reader must have, and with the name right
     * before the answer a small model acquires it in a few hundred steps; asked as questions from the start, it
     * stayed at guessing one of the scene's colours for thousands.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @param queries look-ups per text, at least 1
     * @param twoWordNames whether objects without a unique kind or colour are named by two words
     * @param cells whether cells are asked too
     * @return one text per scene that has something to ask, in scene order
     * @throws InvalidArgumentException if {@code queries < 1}
     * @since 0.3.0
     */
    public static List<ContextAnswer> readingDrills(World world, Split split, long first, int n, int queries,
            boolean twoWordNames, boolean cells) {
        return turnTexts(world, split, first, n, queries, seed -> seed, scene -> {
            List<SceneObject> objects = scene.objects();
            List<ContextAnswer> lookUps = new ArrayList<>();
            for (SceneObject o : objects) {
                // the names the scene's questions use: the kind (or size and kind) for its colour and cell, the
                // colour (or size and colour) for its kind, the colour and kind for a cell when the kind repeats
                String byKind = twoWordNames
                        ? uniqueName(objects, o.kind().word(), o.size().word() + " " + o.kind().word())
                        : uniqueName(objects, o.kind().word());
                String byColour = twoWordNames
                        ? uniqueName(objects, o.colour().word(), o.size().word() + " " + o.colour().word())
                        : uniqueName(objects, o.colour().word());
                if (byKind != null) {
                    lookUps.add(new ContextAnswer(byKind, o.colour().word()));
                }
                if (byColour != null) {
                    lookUps.add(new ContextAnswer(byColour, o.kind().word()));
                }
                String cellName = uniqueName(objects, o.kind().word());
                if (cellName == null && twoWordNames) {
                    cellName = o.colourKind(); // colour and kind never repeat together
                }
                if (cells && cellName != null) {
                    lookUps.add(new ContextAnswer(cellName, o.position().answer()));
                }
            }
            return lookUps;
        });
    }

    /**
     * Reading drills on sizes and two-word names: per scene its description followed by {@code queries}
     * look-ups drawn with replacement from each shape's size by its kind ({@code square} → {@code small}; by
     * colour and kind where the kind repeats) and, where a kind or colour repeats, the names that then need two
     * words (size and kind → colour, size and colour → kind, colour and kind → cell).
     *
     * <p>In {@link #readingDrills} two-word names are one look-up in twenty, and a model that had learned the
     * one-word look-up answered them at chance: it found a shape of the named kind but not the one of the named
     * size, which the description gives two words before the kind ({@code a small purple square}). Asking a
     * kind's size makes the model carry the size to the kind's position, where the look-up reads it; asked by
     * colour and kind, the size could be read beside the colour instead.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @param queries look-ups per text, at least 1
     * @return one text per scene, in scene order
     * @throws InvalidArgumentException if {@code queries < 1}
     * @since 0.3.0
     */
    public static List<ContextAnswer> twoWordDrills(World world, Split split, long first, int n, int queries) {
        return turnTexts(world, split, first, n, queries, seed -> seed + 1, scene -> {
            List<SceneObject> objects = scene.objects();
            List<ContextAnswer> lookUps = new ArrayList<>();
            for (SceneObject o : objects) {
                boolean kindRepeats = uniqueName(objects, o.kind().word()) == null;
                lookUps.add(new ContextAnswer(kindRepeats ? o.colourKind() : o.kind().word(), o.size().word()));
                if (kindRepeats) {
                    String name = uniqueName(objects, o.size().word() + " " + o.kind().word());
                    if (name != null) {
                        lookUps.add(new ContextAnswer(name, o.colour().word()));
                    }
                    lookUps.add(new ContextAnswer(o.colourKind(), o.position().answer()));
                }
                if (uniqueName(objects, o.colour().word()) == null) {
                    String name = uniqueName(objects, o.size().word() + " " + o.colour().word());
                    if (name != null) {
                        lookUps.add(new ContextAnswer(name, o.kind().word()));
                    }
                }
            }
            return lookUps;
        });
    }

    /**
     * Per scene its description followed by {@code turns} of its pool's turns drawn with replacement (a stream
     * seeded by {@code seedOf} of the scene's seed); scenes with an empty pool are skipped.
     */
    private static List<ContextAnswer> turnTexts(World world, Split split, long first, int n, int turns,
            LongUnaryOperator seedOf, Function<Scene, List<ContextAnswer>> poolOf) {
        if (turns < 1) {
            throw new InvalidArgumentException("turns per text must be at least 1 but was " + turns);
        }
        List<ContextAnswer> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Scene scene = world.sample(split, first + i);
            List<ContextAnswer> pool = poolOf.apply(scene);
            if (!pool.isEmpty()) {
                texts.add(withTurns(world.description(scene), pool, turns,
                        new Random(seedOf.applyAsLong(scene.seed()))));
            }
        }
        return texts;
    }

    /**
     * Question texts for language-model pre-training: per scene its description followed by {@code turns}
     * questions of the given types drawn with replacement, each with its answer. Drawing with replacement keeps
     * every turn a look-up: drawn without, a scene's last colour question could be answered by naming the colour
     * not yet named.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @param turns questions per text, at least 1
     * @param types the question types to draw
     * @return one text per scene that has a question of those types, in scene order
     * @throws InvalidArgumentException if {@code turns < 1} or no type is given
     * @since 0.3.0
     */
    public static List<ContextAnswer> questionTurns(World world, Split split, long first, int n, int turns,
            Set<QaType> types) {
        if (turns < 1 || types.isEmpty()) {
            throw new InvalidArgumentException("question turns need turns >= 1 and a question type, got " + turns
                    + " and " + types);
        }
        return turnTexts(world, split, first, n, turns, seed -> ~seed, scene -> {
            List<ContextAnswer> pool = new ArrayList<>();
            for (QaPair qa : world.questions(scene)) {
                if (types.contains(qa.type())) {
                    pool.add(new ContextAnswer(qa.question(), qa.answer()));
                }
            }
            return pool;
        });
    }

    /** The first of the names that exactly one object of the scene answers to, or null. */
    private static String uniqueName(List<SceneObject> objects, String... names) {
        for (String name : names) {
            if (objects.stream().filter(o -> names(o).contains(name)).count() == 1) {
                return name;
            }
        }
        return null;
    }

    private static Set<String> names(SceneObject o) {
        return Set.of(o.kind().word(), o.colour().word(), o.size().word() + " " + o.kind().word(),
                o.size().word() + " " + o.colour().word(), o.colourKind());
    }

    /** {@code description} then {@code turns} items of the pool drawn with replacement, the first joining it. */
    private static ContextAnswer withTurns(String description, List<ContextAnswer> pool, int turns, Random random) {
        ContextAnswer head = pool.get(random.nextInt(pool.size()));
        List<ContextAnswer> followUps = new ArrayList<>();
        for (int t = 1; t < turns; t++) {
            followUps.add(pool.get(random.nextInt(pool.size())));
        }
        return new ContextAnswer(description + " " + head.context(), head.answer(), followUps);
    }
}
