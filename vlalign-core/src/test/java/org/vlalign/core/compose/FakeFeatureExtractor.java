package org.vlalign.core.compose;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.image.ImageDecoder;
import org.vlalign.core.image.RgbImage;

/**
 * An engine-free {@link FeatureExtractor} whose features are a fixed function of the image's pixels:
 * the image is cut into a grid of cells, and each cell (one token) becomes {@code tanh(W · [r, g, b,
 * x, y, 1])} with seeded weights {@code W}. Instruction-aware instances add a vector derived from
 * the instruction's hash.
 *
 * <p>Search vectors live in a small colour space of dimension 8: an image vector is the L2-normalised
 * {@code [r, g, b, 0.05, 0, 0, 0, 0]} of a cell (BLIP-2 style, one per token) or of the whole image
 * (CLIP style, one); a text vector is the sum of the colours its words name, {@code 0.05} in the
 * fourth slot, and a small hash of the text in the last four slots (so that texts differ), normalised.
 * "red" therefore scores an image by its reddest cell (BLIP-2) or its mean colour (CLIP).
 *
 * <p>Counts its calls for tests. Thread-safe.
 *
 * @since 0.1.0
 */
public final class FakeFeatureExtractor implements FeatureExtractor {
    /** How the extractor embeds for search. */
    public enum Search {
        /** No search projections. */
        NONE,
        /** One vector per grid cell, like BLIP-2's 32 query tokens. */
        PER_TOKEN,
        /** One vector per image, like CLIP. */
        SINGLE
    }

    /** The width of search vectors. */
    public static final int SEARCH_DIM = 8;

    private static final Map<String, float[]> COLOURS = Map.of(
            "red", new float[] {1, 0, 0},
            "green", new float[] {0, 1, 0},
            "blue", new float[] {0, 0, 1},
            "yellow", new float[] {1, 1, 0},
            "white", new float[] {1, 1, 1},
            "black", new float[] {0, 0, 0},
            "purple", new float[] {0.5f, 0, 0.5f});

    private final String name;
    private final int gridRows;
    private final int gridCols;
    private final int hidden;
    private final boolean instructionAware;
    private final Search search;
    private final int declaredWidth; // what featureWidth() says; hidden unless a test makes it lie
    private final float[] weights; // (hidden, 6)
    private final ImageDecoder decoder = ImageDecoder.withDefaults();

    private final AtomicInteger extractCalls = new AtomicInteger();
    private final AtomicInteger extractBatchCalls = new AtomicInteger();
    private final AtomicInteger embedImageCalls = new AtomicInteger();
    private final AtomicInteger closeCalls = new AtomicInteger();
    private final List<String> instructions = new CopyOnWriteArrayList<>();

    /**
     * An extractor.
     *
     * @param name the name, for messages and the space's family
     * @param gridRows cell rows
     * @param gridCols cell columns; tokens = rows × cols
     * @param hidden the feature width
     * @param instructionAware whether the instruction changes the features
     * @param search the search mode
     */
    public FakeFeatureExtractor(
            String name, int gridRows, int gridCols, int hidden, boolean instructionAware, Search search) {
        this.name = name;
        this.gridRows = gridRows;
        this.gridCols = gridCols;
        this.hidden = hidden;
        this.instructionAware = instructionAware;
        this.search = search;
        this.declaredWidth = hidden;
        SplittableRandom random = new SplittableRandom(name.hashCode());
        weights = new float[hidden * 6];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) (random.nextDouble() * 2 - 1);
        }
    }

    private FakeFeatureExtractor(FakeFeatureExtractor of, int declaredWidth) {
        this.name = of.name + "-declaring-" + declaredWidth;
        this.gridRows = of.gridRows;
        this.gridCols = of.gridCols;
        this.hidden = of.hidden;
        this.instructionAware = of.instructionAware;
        this.search = of.search;
        this.weights = of.weights;
        this.declaredWidth = declaredWidth;
    }

    /**
     * A copy that extracts the same features but declares another {@link #featureWidth()}: an extractor
     * that breaks its contract, for the checks that catch one.
     *
     * @param width the width to declare
     * @return the copy
     */
    public FakeFeatureExtractor declaringWidth(int width) {
        return new FakeFeatureExtractor(this, width);
    }

    /**
     * Like BLIP-2's Q-Former: 32 tokens (4 × 8), width 24, one search vector per token.
     *
     * @return the extractor
     */
    public static FakeFeatureExtractor blip2() {
        return new FakeFeatureExtractor("fake-blip-2", 4, 8, 24, false, Search.PER_TOKEN);
    }

    /**
     * Like InstructBLIP's instruction-aware Q-Former: 32 tokens, width 24, no search.
     *
     * @return the extractor
     */
    public static FakeFeatureExtractor instructBlip() {
        return new FakeFeatureExtractor("fake-instructblip", 4, 8, 24, true, Search.NONE);
    }

    /**
     * Like LLaVA's CLIP vision tower (patch features without CLS): 16 tokens, width 20, no search.
     *
     * @return the extractor
     */
    public static FakeFeatureExtractor llavaVision() {
        return new FakeFeatureExtractor("fake-llava-vision", 4, 4, 20, false, Search.NONE);
    }

    /**
     * Like CLIP: one vector per image for search; 1 token of width 12 for the language side.
     *
     * @return the extractor
     */
    public static FakeFeatureExtractor clip() {
        return new FakeFeatureExtractor("fake-clip", 1, 1, 12, false, Search.SINGLE);
    }

    /**
     * The feature width.
     *
     * @return the width
     */
    public int hidden() {
        return hidden;
    }

    /**
     * The number of feature rows.
     *
     * @return the tokens
     */
    public int tokens() {
        return gridRows * gridCols;
    }

    /**
     * Calls of {@link #extract(ImageInput, String)}, including those a batch makes.
     *
     * @return the count
     */
    public int extractCalls() {
        return extractCalls.get();
    }

    /**
     * Calls of {@link #extractBatch}.
     *
     * @return the count
     */
    public int extractBatchCalls() {
        return extractBatchCalls.get();
    }

    /**
     * Calls of {@link #embedImage}.
     *
     * @return the count
     */
    public int embedImageCalls() {
        return embedImageCalls.get();
    }

    /**
     * Every instruction {@link #extract(ImageInput, String)} received, in call order.
     *
     * @return the instructions
     */
    public List<String> instructions() {
        return List.copyOf(instructions);
    }

    /** Mean colour of each cell, {@code (cells, 3)} in [0, 1]. */
    private float[][] cellColours(ImageInput image, int rows, int cols) {
        RgbImage rgb = decoder.decode(image);
        float[][] cells = new float[rows * cols][3];
        for (int cy = 0; cy < rows; cy++) {
            for (int cx = 0; cx < cols; cx++) {
                int x0 = cx * rgb.width() / cols;
                int x1 = Math.max(x0 + 1, (cx + 1) * rgb.width() / cols);
                int y0 = cy * rgb.height() / rows;
                int y1 = Math.max(y0 + 1, (cy + 1) * rgb.height() / rows);
                double[] sum = new double[3];
                for (int y = y0; y < Math.min(y1, rgb.height()); y++) {
                    for (int x = x0; x < Math.min(x1, rgb.width()); x++) {
                        for (int c = 0; c < 3; c++) {
                            sum[c] += rgb.get(x, y, c);
                        }
                    }
                }
                int n = (Math.min(y1, rgb.height()) - y0) * (Math.min(x1, rgb.width()) - x0);
                for (int c = 0; c < 3; c++) {
                    cells[cy * cols + cx][c] = (float) (sum[c] / n / 255.0);
                }
            }
        }
        return cells;
    }

    @Override
    public Features extract(ImageInput image, String instruction) {
        if (instruction == null) {
            throw new InvalidArgumentException("instruction must not be null");
        }
        extractCalls.incrementAndGet();
        instructions.add(instruction);
        float[][] cells = cellColours(image, gridRows, gridCols);
        float[] instructionVector = new float[hidden];
        if (instructionAware && !instruction.isEmpty()) {
            SplittableRandom random = new SplittableRandom(instruction.hashCode());
            for (int h = 0; h < hidden; h++) {
                instructionVector[h] = (float) (random.nextDouble() - 0.5);
            }
        }
        float[] out = new float[cells.length * hidden]; // (tokens, hidden)
        for (int t = 0; t < cells.length; t++) {
            float[] in = {
                cells[t][0], cells[t][1], cells[t][2],
                (t % gridCols) / (float) gridCols, (t / gridCols) / (float) gridRows, 1f
            };
            for (int h = 0; h < hidden; h++) {
                double sum = instructionVector[h];
                for (int i = 0; i < 6; i++) {
                    sum += weights[h * 6 + i] * in[i];
                }
                out[t * hidden + h] = (float) Math.tanh(sum);
            }
        }
        return Features.of(out, cells.length, hidden);
    }

    @Override
    public List<Features> extractBatch(List<ImageInput> images, List<String> instructions) {
        extractBatchCalls.incrementAndGet();
        return FeatureExtractor.super.extractBatch(images, instructions);
    }

    @Override
    public boolean acceptsInstruction() {
        return instructionAware;
    }

    @Override
    public int featureWidth() {
        return declaredWidth;
    }

    @Override
    public boolean canEmbed() {
        return search != Search.NONE;
    }

    @Override
    public EmbeddingSpace embeddingSpace() {
        requireSearch();
        return new EmbeddingSpace(name, "fake-" + Integer.toHexString(name.hashCode()),
                "mean rgb of " + (search == Search.SINGLE ? "1x1" : gridRows + "x" + gridCols) + " cells",
                SEARCH_DIM);
    }

    @Override
    public Features embedImage(ImageInput image) {
        requireSearch();
        embedImageCalls.incrementAndGet();
        float[][] cells = search == Search.SINGLE ? cellColours(image, 1, 1) : cellColours(image, gridRows, gridCols);
        float[] out = new float[cells.length * SEARCH_DIM]; // (vectors, 8)
        for (int t = 0; t < cells.length; t++) {
            float[] v = {cells[t][0], cells[t][1], cells[t][2], 0.05f, 0, 0, 0, 0};
            System.arraycopy(normalise(v), 0, out, t * SEARCH_DIM, SEARCH_DIM);
        }
        return Features.of(out, cells.length, SEARCH_DIM);
    }

    @Override
    public Features embedText(String text) {
        requireSearch();
        if (text == null || text.isBlank()) {
            throw new InvalidArgumentException("text must not be empty");
        }
        float[] v = new float[SEARCH_DIM];
        for (String word : text.toLowerCase(Locale.ROOT).split("[^a-z]+")) {
            float[] colour = COLOURS.get(word);
            if (colour != null) {
                for (int c = 0; c < 3; c++) {
                    v[c] += colour[c];
                }
            }
        }
        v[3] = 0.05f;
        SplittableRandom random = new SplittableRandom(text.hashCode());
        for (int i = 4; i < SEARCH_DIM; i++) {
            v[i] = (float) (random.nextDouble() * 0.1);
        }
        return Features.ofVector(normalise(v));
    }

    private static float[] normalise(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        norm = Math.sqrt(norm);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / norm);
        }
        return out;
    }

    private void requireSearch() {
        if (search == Search.NONE) {
            throw new UnsupportedModelException(name + " has no search projections");
        }
    }

    @Override
    public void close() {
        closeCalls.incrementAndGet();
    }

    /**
     * Calls of {@link #close()}.
     *
     * @return the count
     */
    public int closeCalls() {
        return closeCalls.get();
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * A list of images' features, extracted one by one (for expected values in tests).
     *
     * @param images the images
     * @return the features
     */
    public List<Features> extractEach(List<ImageInput> images) {
        List<Features> out = new ArrayList<>();
        for (ImageInput image : images) {
            out.add(extract(image));
        }
        return out;
    }
}
