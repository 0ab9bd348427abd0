package org.vlalign.model.world;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.vlalign.Checks;
import org.vlalign.InvalidArgumentException;

/**
 * A seeded synthetic world of coloured shapes: a random-access generator of scene graphs, their
 * rendering as RGB images, and every text derived from the scene graph (never from pixels).
 *
 * <p>{@link #sample(Split, long)} is a pure function of the world's seed, the split and the index,
 * so datasets of any size can be produced in any order or in parallel, and the held-out splits use
 * seed streams disjoint from training by construction (the per-scene seed is a bijection of
 * {@code (index, split)}). Optionally, some colour–shape combinations can be held out of training
 * entirely ({@link Builder#holdOut}) to measure compositional generalisation: training scenes and
 * training questions never mention them, while validation and test scenes may contain them.
 *
 * <p>Each scene holds {@code minShapes..maxShapes} shapes (uniform), no two sharing both colour and
 * kind; every shape keeps at least {@code minVisibleFraction} of its pixels uncovered by shapes
 * drawn after it, and its centre lies inside one cell of the 3×3 grid, away from cell borders, so
 * position answers are clear.
 *
 * <pre>{@code
 * World world = World.builder().seed(7).imageSize(64).maxShapes(4).build();
 * Scene scene = world.sample(Split.TRAIN, 42);
 * BufferedImage image = world.render(scene);
 * String caption = world.captions(scene).get(0);   // "a small red circle above a large blue square"
 * for (QaPair qa : world.questions(scene)) { ... }
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class World {
    /** The background grey level, 0–255. */
    static final int BACKGROUND = 128;
    /** Shape centres keep this distance (image fraction) from grid-cell borders. */
    static final double CELL_MARGIN = 0.04;
    /** Relative jitter of a shape's radius around its size class. */
    static final double RADIUS_JITTER = 0.06;
    /** The most shapes a scene may hold; more do not fit the 3×3 grid with the visibility bound. */
    public static final int MAX_SHAPES = 6;
    /** Largest index per split (the per-scene seed key is {@code index * 3 + split}). */
    public static final long MAX_INDEX = Long.MAX_VALUE / 3 - 1;

    private static final long NOISE_SALT = 0x6E6F697365L;
    private static final long NEGATIVE_SALT = 0x6E65676174L;
    private static final int TRIES_PER_OBJECT = 200;
    private static final int SCENE_ATTEMPTS = 100;

    private final long seed;
    private final int imageSize;
    private final int minShapes;
    private final int maxShapes;
    private final int noiseAmplitude;
    private final double minVisibleFraction;
    private final Set<Combination> heldOut;

    private World(Builder b) {
        this.seed = b.seed;
        this.imageSize = b.imageSize;
        this.minShapes = b.minShapes;
        this.maxShapes = b.maxShapes;
        this.noiseAmplitude = b.noiseAmplitude;
        this.minVisibleFraction = b.minVisibleFraction;
        this.heldOut = Collections.unmodifiableSet(new LinkedHashSet<>(b.heldOut));
    }

    /**
     * Returns a builder with the defaults: seed 0, 64×64 images, 1–4 shapes, background noise ±6,
     * every shape at least 70% visible, no held-out combinations.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A colour–shape combination, e.g. purple star.
     *
     * <p>Instances are immutable and thread-safe.
     *
     * @param colour the colour
     * @param kind the shape kind
     * @since 0.1.0
     */
    public record Combination(ShapeColour colour, ShapeKind kind) {
        /** Validates the fields. */
        public Combination {
            Checks.checkNotNull(colour, "colour");
            Checks.checkNotNull(kind, "kind");
        }
    }

    /**
     * Returns the world seed.
     *
     * @return the seed every scene derives from
     */
    public long seed() {
        return seed;
    }

    /**
     * Returns the side of rendered images in pixels.
     *
     * @return the image size
     */
    public int imageSize() {
        return imageSize;
    }

    /**
     * Returns the fewest shapes a scene holds.
     *
     * @return the minimum shape count
     */
    public int minShapes() {
        return minShapes;
    }

    /**
     * Returns the most shapes a scene holds.
     *
     * @return the maximum shape count
     */
    public int maxShapes() {
        return maxShapes;
    }

    /**
     * Returns the amplitude of the uniform grey noise added to the background (0 = plain).
     *
     * @return the noise amplitude in grey levels
     */
    public int noiseAmplitude() {
        return noiseAmplitude;
    }

    /**
     * Returns the fraction of its pixels every shape keeps uncovered.
     *
     * @return the visibility bound
     */
    public double minVisibleFraction() {
        return minVisibleFraction;
    }

    /**
     * Returns the colour–shape combinations that never appear in training scenes or texts.
     *
     * @return the held-out combinations, possibly empty
     */
    public Set<Combination> heldOut() {
        return heldOut;
    }

    /**
     * Returns training scene {@code index}; same as {@code sample(Split.TRAIN, index)}.
     *
     * @param index 0 to {@link #MAX_INDEX}
     * @return the scene
     */
    public Scene sample(long index) {
        return sample(Split.TRAIN, index);
    }

    /**
     * Returns scene {@code index} of a split, a pure function of the world's settings, the split and
     * the index.
     *
     * @param split the split whose seed stream to use
     * @param index 0 to {@link #MAX_INDEX}
     * @return the scene
     * @throws InvalidArgumentException if the index is out of range
     */
    public Scene sample(Split split, long index) {
        Checks.checkNotNull(split, "split");
        if (index < 0 || index > MAX_INDEX) {
            throw new InvalidArgumentException(
                    "scene index " + index + " is out of range; use 0 to " + MAX_INDEX);
        }
        long sceneSeed = sceneSeed(split, index);
        SplitMix rng = new SplitMix(sceneSeed);
        int count = minShapes + rng.nextInt(maxShapes - minShapes + 1);
        for (int attempt = 0; attempt < SCENE_ATTEMPTS; attempt++) {
            List<SceneObject> objects = tryPlace(rng, count, split);
            if (objects != null) {
                return new Scene(split, index, sceneSeed, imageSize, objects);
            }
        }
        throw new IllegalStateException(
                "could not place " + count + " shapes in scene " + index + " of " + split
                        + " with image size " + imageSize + " and visibility "
                        + minVisibleFraction + "; lower maxShapes or minVisibleFraction");
    }

    private long sceneSeed(Split split, long index) {
        // index * 3 + split is injective, the added constant and mix() are bijections: every
        // (split, index) gets its own seed, so splits can never share a scene stream.
        long key = index * 3 + split.ordinal();
        return SplitMix.mix(key + SplitMix.mix(seed ^ 0x766C616C69676EL));
    }

    private List<SceneObject> tryPlace(SplitMix rng, int count, Split split) {
        List<SceneObject> objects = new ArrayList<>();
        List<boolean[]> masks = new ArrayList<>();
        Set<Combination> used = new LinkedHashSet<>();
        for (int k = 0; k < count; k++) {
            boolean placed = false;
            for (int t = 0; t < TRIES_PER_OBJECT && !placed; t++) {
                ShapeKind kind = ShapeKind.values()[rng.nextInt(ShapeKind.values().length)];
                ShapeColour colour = ShapeColour.values()[rng.nextInt(ShapeColour.values().length)];
                ShapeSize size = rng.nextBoolean() ? ShapeSize.SMALL : ShapeSize.LARGE;
                double radius = size.radius() * rng.nextDouble(1 - RADIUS_JITTER, 1 + RADIUS_JITTER);
                GridPosition cell = GridPosition.values()[rng.nextInt(9)];
                double x = inCell(rng, cell.column(), radius);
                double y = inCell(rng, cell.row(), radius);
                Combination combination = new Combination(colour, kind);
                if (used.contains(combination)
                        || (split == Split.TRAIN && heldOut.contains(combination))) {
                    continue;
                }
                SceneObject candidate = new SceneObject(kind, colour, size, x, y, radius);
                boolean[] mask = ShapeGeometry.coverage(candidate, imageSize);
                masks.add(mask);
                double[] visible = ShapeGeometry.visibleFractions(masks);
                boolean ok = ShapeGeometry.area(mask) > 0;
                for (double v : visible) {
                    ok &= v >= minVisibleFraction;
                }
                if (ok) {
                    objects.add(candidate);
                    used.add(combination);
                    placed = true;
                } else {
                    masks.remove(masks.size() - 1);
                }
            }
            if (!placed) {
                return null;
            }
        }
        return objects;
    }

    /** A coordinate inside grid band {@code band}, clear of its borders and of the image edge. */
    private static double inCell(SplitMix rng, int band, double radius) {
        double lo = Math.max(band / 3.0 + CELL_MARGIN, radius + 0.01);
        double hi = Math.min((band + 1) / 3.0 - CELL_MARGIN, 1 - radius - 0.01);
        return rng.nextDouble(lo, hi);
    }

    /**
     * Renders a scene: a grey background with seeded noise, then each shape filled (anti-aliased)
     * in drawing order.
     *
     * @param scene a scene of this world
     * @return a new {@code TYPE_INT_RGB} image of {@code scene.imageSize()} pixels square
     */
    public BufferedImage render(Scene scene) {
        int n = scene.imageSize();
        BufferedImage image = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
        SplitMix noise = new SplitMix(scene.seed() ^ NOISE_SALT);
        int[] row = new int[n]; // (width) packed RGB
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int v = BACKGROUND;
                if (noiseAmplitude > 0) {
                    v += noise.nextInt(2 * noiseAmplitude + 1) - noiseAmplitude;
                }
                v = Math.max(0, Math.min(255, v));
                row[x] = (v << 16) | (v << 8) | v;
            }
            image.setRGB(0, y, n, 1, row, 0, n);
        }
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            for (SceneObject object : scene.objects()) {
                g.setColor(object.colour().color());
                g.fill(ShapeGeometry.outline(object, n));
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /**
     * Renders a scene and encodes it as PNG; identical scenes give identical bytes.
     *
     * @param scene a scene of this world
     * @return the PNG file content
     */
    public byte[] renderPng(Scene scene) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("png");
        if (!writers.hasNext()) {
            throw new IllegalStateException("no PNG writer is registered with javax.imageio");
        }
        ImageWriter writer = writers.next();
        // An in-memory stream: ImageIO.write(image, "png", out) would spool through a temporary
        // file, which makes encoding several times slower than rendering.
        try (ImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(render(scene), null, null), writer.getDefaultWriteParam());
        } catch (IOException e) {
            throw new UncheckedIOException("encoding scene " + scene.name() + " as PNG failed", e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /**
     * Returns the captions of a scene; the first is the canonical one, the others rephrase it.
     *
     * @param scene a scene of this world
     * @return at least four distinct captions, lower case, without final punctuation
     */
    public List<String> captions(Scene scene) {
        return new WorldText(scene).captions();
    }

    /**
     * Returns the caption that states every object with size, colour, kind and grid cell ("a small red circle
     * in the top left and a large blue square at the top"); it is one of {@link #captions}.
     *
     * @param scene a scene of this world
     * @return the located caption
     * @since 0.2.0
     */
    public String locatedCaption(Scene scene) {
        return WorldText.locatedCaption(scene.objects());
    }

    /**
     * Returns a near miss of {@link #locatedCaption}: the same caption with exactly one thing changed (one
     * object's colour, kind or cell, or the colours of two objects swapped), so that it is false of the scene
     * while every other detail holds: the hard negative image–text matching learns from.
     *
     * @param scene a scene of this world
     * @param draw which of the possible near misses (any value; the same value gives the same caption)
     * @return a caption that is false of the scene
     * @since 0.2.0
     */
    public String hardNegative(Scene scene, long draw) {
        long seed = scene.seed() ^ NEGATIVE_SALT ^ (draw * 0x9E3779B97F4A7C15L);
        return new WorldText(scene).hardNegative(new SplitMix(seed));
    }

    /**
     * Returns the detailed description of a scene: the shape count, then every object with its
     * size, colour, shape and position, in reading order (grid row, then column, then x).
     *
     * @param scene a scene of this world
     * @return the description, sentences ending in periods
     */
    public String description(Scene scene) {
        return new WorldText(scene).description();
    }

    /**
     * Returns the questions the world asks about a scene, each unambiguous given the scene graph,
     * grouped by type in the order of {@link QaType}. Each scene gets one "yes" and one "no"
     * existence question.
     *
     * @param scene a scene of this world
     * @return the questions with their exact answers
     */
    public List<QaPair> questions(Scene scene) {
        return new WorldText(scene).questions(
                scene.split() == Split.TRAIN ? heldOut : Set.of());
    }

    /**
     * Returns the box questions about a scene, one per object in reading order: "give the bounding box of the red
     * circle." (the object named by kind if that is unique, else by colour and kind), answered with the object's
     * {@link ShapeGeometry#box} as LLaVA-1.5 writes boxes, e.g. {@code [0.12, 0.34, 0.56, 0.78]}.
     *
     * <p>They are apart from {@link #questions} so that the questions of the other types, and the random draws
     * behind them, stay exactly what they were before box questions existed, and so that text-only corpora built
     * from {@link #questions} carry no boxes. {@link WorldExport} writes them to {@code instructions.jsonl}
     * after each scene's other questions.
     *
     * @param scene a scene of this world
     * @return the questions of type {@link QaType#BOX}
     * @since 0.3.0
     */
    public List<QaPair> boxQuestions(Scene scene) {
        return new WorldText(scene).boxQuestions();
    }

    /**
     * Returns the box question about an object named by a referring expression, in the words of {@link
     * #boxQuestions}: {@code "red circle"} or {@code "the red circle."} gives {@code "give the bounding box of the
     * red circle."}; the convention in which to ask a model trained on this world for a box.
     *
     * @param expression the object's name, with or without a leading "the" and final punctuation
     * @return the question, lower case
     * @throws InvalidArgumentException if the expression is blank
     * @since 0.3.0
     */
    public static String boxQuestion(String expression) {
        Checks.checkNotNull(expression, "expression");
        String name = expression.strip().toLowerCase(java.util.Locale.ROOT).replaceAll("[.?!]+$", "").strip()
                .replaceFirst("^the(\\s+|$)", "");
        if (name.isEmpty()) {
            throw new InvalidArgumentException("referring expression '" + expression + "' names nothing");
        }
        return WorldText.boxQuestion(name);
    }

    /**
     * Returns how object {@code a} relates to object {@code b}, or empty when no predicate is clear
     * (the shapes barely touch, or their centres are too close or too diagonal).
     *
     * <p>Shapes sharing at least 5% of the smaller one's pixels are {@link Relation#OVERLAPPING};
     * shapes that share fewer pixels or come within one pixel of each other have no relation;
     * otherwise the relation follows the larger axis of the centre offset when that offset is at
     * least 0.15 of the image side and at least twice the other axis.
     *
     * @param scene a scene
     * @param a index of the first object in {@code scene.objects()}
     * @param b index of the second object
     * @return the relation "a is … b", if clear
     */
    public static Optional<Relation> relation(Scene scene, int a, int b) {
        return new WorldText(scene).relation(a, b);
    }

    /**
     * Returns every token (word or punctuation mark) that any caption, description, or question or answer of
     * {@link #questions} of any world can contain; a tokenizer built from it never needs an unknown token for
     * them. Box questions need {@link #boxVocabulary()} as well.
     *
     * @return the sorted vocabulary
     */
    public static SortedSet<String> vocabulary() {
        return new TreeSet<>(WorldText.vocabulary());
    }

    /**
     * Returns the tokens that {@link #boxQuestions} and their answers add to {@link #vocabulary()}: {@code
     * bounding}, {@code box}, the brackets and the numbers of two-decimal coordinates ({@code 0}, {@code 1},
     * {@code 00} to {@code 99}). They are kept apart so that the tokenizer of a model trained before box
     * questions (the shipped default model's) still equals {@code vocabulary()}'s; a tokenizer for training on
     * box questions is built from both.
     *
     * @return the sorted additional tokens, none of them in {@code vocabulary()}
     * @since 0.3.0
     */
    public static SortedSet<String> boxVocabulary() {
        return new TreeSet<>(WorldText.boxVocabulary());
    }

    /**
     * Splits a world sentence into tokens the way the exported tokenizer does: on whitespace, with
     * {@code . , ? [ ]} as tokens of their own.
     *
     * @param text a sentence
     * @return its tokens, lower-cased
     */
    public static List<String> tokenize(String text) {
        return WorldText.tokenize(text);
    }

    /**
     * A builder of {@link World}s with prefix-less setters.
     *
     * <p>Not thread-safe.
     *
     * @since 0.1.0
     */
    public static final class Builder {
        private long seed;
        private int imageSize = 64;
        private int minShapes = 1;
        private int maxShapes = 4;
        private int noiseAmplitude = 6;
        private double minVisibleFraction = 0.7;
        private final Set<Combination> heldOut = new LinkedHashSet<>();

        private Builder() {}

        /**
         * Sets the world seed.
         *
         * @param seed any value
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the image side in pixels.
         *
         * @param imageSize 32 to 1024
         * @return this builder
         */
        public Builder imageSize(int imageSize) {
            checkRange("imageSize", imageSize, 32, 1024, " pixels");
            this.imageSize = imageSize;
            return this;
        }

        /**
         * Sets the fewest shapes per scene.
         *
         * @param minShapes 1 to {@link #MAX_SHAPES}
         * @return this builder
         */
        public Builder minShapes(int minShapes) {
            checkRange("minShapes", minShapes, 1, MAX_SHAPES, "");
            this.minShapes = minShapes;
            return this;
        }

        /**
         * Sets the most shapes per scene.
         *
         * @param maxShapes 1 to {@link #MAX_SHAPES}
         * @return this builder
         */
        public Builder maxShapes(int maxShapes) {
            checkRange("maxShapes", maxShapes, 1, MAX_SHAPES, "");
            this.maxShapes = maxShapes;
            return this;
        }

        /**
         * Sets the background noise amplitude in grey levels (0 = plain background).
         *
         * @param noiseAmplitude 0 to 32
         * @return this builder
         */
        public Builder noiseAmplitude(int noiseAmplitude) {
            checkRange("noiseAmplitude", noiseAmplitude, 0, 32, "");
            this.noiseAmplitude = noiseAmplitude;
            return this;
        }

        /**
         * Sets the fraction of its pixels every shape must keep uncovered by later shapes.
         *
         * @param minVisibleFraction 0.6 to 1 (1 forbids overlaps)
         * @return this builder
         */
        public Builder minVisibleFraction(double minVisibleFraction) {
            if (!(minVisibleFraction >= 0.6 && minVisibleFraction <= 1)) {
                throw new InvalidArgumentException(
                        "minVisibleFraction " + minVisibleFraction
                                + " is out of range; use 0.6 to 1 so every shape stays identifiable");
            }
            this.minVisibleFraction = minVisibleFraction;
            return this;
        }

        /**
         * Holds a colour–shape combination out of the training split: training scenes never contain
         * it and training questions never mention it; validation and test scenes may.
         *
         * @param colour the colour
         * @param kind the shape kind
         * @return this builder
         */
        public Builder holdOut(ShapeColour colour, ShapeKind kind) {
            heldOut.add(new Combination(colour, kind));
            return this;
        }

        /**
         * Builds the world.
         *
         * @return the immutable world
         * @throws InvalidArgumentException if {@code minShapes > maxShapes} or more than half of
         *     all combinations are held out
         */
        public World build() {
            if (minShapes > maxShapes) {
                throw new InvalidArgumentException(
                        "minShapes " + minShapes + " exceeds maxShapes " + maxShapes
                                + "; set minShapes <= maxShapes");
            }
            if (heldOut.size() > ShapeColour.values().length * ShapeKind.values().length / 2) {
                throw new InvalidArgumentException(
                        heldOut.size() + " held-out combinations leave too few for training; hold out"
                                + " at most half of the " + ShapeColour.values().length
                                * ShapeKind.values().length);
            }
            return new World(this);
        }

        /** Throws unless {@code min <= value <= max}, naming the parameter, its value and the range. */
        private static void checkRange(String name, int value, int min, int max, String unit) {
            if (value < min || value > max) {
                throw new InvalidArgumentException(
                        name + " " + value + " is out of range; use " + min + " to " + max + unit);
            }
        }
    }
}
