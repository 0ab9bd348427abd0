package org.vlalign;

import java.util.Arrays;

/**
 * Where an answer looked in the image: one weight per image patch, over the vision tower's grid of patches,
 * and the same for each generated token.
 *
 * <p><b>How it is computed</b> (for {@link VlModel#ask} with {@link GenerationConfig#attentionMap()}):
 * <ol>
 *   <li>The language model's attention from each generated token to each image position of the prompt:
 *       the post-softmax probabilities of the query that chose the token (the prompt's last position for
 *       the first token, the previous token's position for the others), averaged over every layer and
 *       every head.
 *   <li>Mapped to patches: for LLaVA the image positions are the patches (CLIP ViT grid, without the CLS
 *       token), so the weights carry over. For BLIP-2, InstructBLIP and the vlalign composition the image
 *       positions are the Q-Former's queries: {@code patchWeight(t, p) = Σ_q lm(t, q) · cross(q, p)}, where
 *       {@code cross(q, p)} is query {@code q}'s cross-attention probability to patch {@code p}, averaged
 *       over heads and over the Q-Former layers that cross-attend (the attention to the vision tower's CLS
 *       position is left out).
 *   <li>Normalised: each token's map ({@link #tokenWeights(int)}) is divided by its sum, so it sums to 1;
 *       the answer's map ({@link #weights()}) is the mean of the token maps (every generated token counts
 *       equally), so it sums to 1 too.
 * </ol>
 * A {@link LanguageModel#generate} answer with the option set (the JVM engine's Llama) carries the result of
 * step 1 over the prompt's image positions (its one embedding segment), as a grid {@code positions × 1},
 * normalised the same way.
 *
 * <p>Patches are in row-major order: patch {@code (x, y)} is at index {@code y · gridWidth + x}, {@code x}
 * from the left and {@code y} from the top of the preprocessed (resized) image.
 *
 * <p>Immutable and thread-safe; arrays are copied in and out.
 *
 * <pre>{@code
 * Answer a = model.ask(image, "What colour is the square?",
 *         GenerationConfig.builder().attentionMap(true).build(), t -> {});
 * AttentionMap map = a.attentionMap().orElseThrow();
 * int hottest = map.peak(); // index y * gridWidth + x
 * }</pre>
 *
 * @param gridWidth patches across, at least 1
 * @param gridHeight patches down, at least 1
 * @param weights {@code gridWidth · gridHeight} non-negative weights, summing to 1 (within float rounding)
 * @param tokenWeights {@code tokens · gridWidth · gridHeight} weights, token-major: each token's map, each
 *     summing to 1; empty when the answer has no tokens
 * @since 0.2.0
 */
public record AttentionMap(int gridWidth, int gridHeight, float[] weights, float[] tokenWeights) {
    /** How far a map's sum may be from 1. */
    private static final double SUM_TOLERANCE = 1e-3;

    /** Validates and copies. */
    public AttentionMap {
        Checks.checkArgument(gridWidth >= 1 && gridHeight >= 1, "the grid must be at least 1×1 but was %s×%s",
                gridWidth, gridHeight);
        Checks.checkNotNull(weights, "weights");
        Checks.checkNotNull(tokenWeights, "tokenWeights");
        int cells = Math.multiplyExact(gridWidth, gridHeight);
        Checks.checkArgument(weights.length == cells, "weights has %s values but the %s×%s grid has %s cells",
                weights.length, gridWidth, gridHeight, cells);
        Checks.checkArgument(tokenWeights.length % cells == 0, "tokenWeights has %s values, not a multiple of the"
                + " grid's %s cells", tokenWeights.length, cells);
        checkDistribution(weights, 0, cells, "weights");
        for (int t = 0; t < tokenWeights.length / cells; t++) {
            checkDistribution(tokenWeights, t * cells, cells, "the map of token " + t);
        }
        weights = weights.clone();
        tokenWeights = tokenWeights.clone();
    }

    private static void checkDistribution(float[] w, int off, int n, String what) {
        double sum = 0;
        for (int i = off; i < off + n; i++) {
            Checks.checkArgument(w[i] >= 0 && Float.isFinite(w[i]), "%s has weight %s at cell %s; weights must"
                    + " be finite and non-negative", what, w[i], i - off);
            sum += w[i];
        }
        Checks.checkArgument(Math.abs(sum - 1) <= SUM_TOLERANCE, "%s sums to %s; it must sum to 1", what, sum);
    }

    /**
     * A map from un-normalised per-token patch weights, applying this type's rule: each token's row divided by
     * its sum, the map the mean of the rows.
     *
     * @param gridWidth patches across
     * @param gridHeight patches down
     * @param tokenMass {@code [token][gridWidth · gridHeight]} non-negative weights, at least one token, each
     *     row with a positive sum
     * @return the map
     * @throws InvalidArgumentException if a row has the wrong length, a negative or non-finite weight, or sums
     *     to 0 (a token that put no representable attention on the image has no map)
     */
    public static AttentionMap of(int gridWidth, int gridHeight, float[][] tokenMass) {
        Checks.checkNotNull(tokenMass, "tokenMass");
        Checks.checkArgument(tokenMass.length >= 1, "tokenMass needs at least one token");
        int cells = Math.multiplyExact(gridWidth, gridHeight);
        float[] tokens = new float[Math.multiplyExact(tokenMass.length, cells)];
        double[] mean = new double[cells];
        for (int t = 0; t < tokenMass.length; t++) {
            float[] row = Checks.checkNotNull(tokenMass[t], "tokenMass row");
            Checks.checkArgument(row.length == cells, "token %s has %s weights for a grid of %s cells", t,
                    row.length, cells);
            double sum = 0;
            for (float v : row) {
                Checks.checkArgument(v >= 0 && Float.isFinite(v), "token %s has weight %s; weights must be finite"
                        + " and non-negative", t, v);
                sum += v;
            }
            Checks.checkArgument(sum > 0, "token %s has no weight on the image, so it has no map", t);
            for (int i = 0; i < cells; i++) {
                double w = row[i] / sum;
                tokens[t * cells + i] = (float) w;
                mean[i] += w / tokenMass.length;
            }
        }
        float[] weights = new float[cells];
        for (int i = 0; i < cells; i++) {
            weights[i] = (float) mean[i];
        }
        return new AttentionMap(gridWidth, gridHeight, weights, tokens);
    }

    /**
     * A copy of the answer's weights.
     *
     * @return {@code gridWidth · gridHeight} weights, row-major
     */
    @Override
    public float[] weights() {
        return weights.clone();
    }

    /**
     * A copy of every token's weights.
     *
     * @return {@code tokens · gridWidth · gridHeight} weights, token-major
     */
    @Override
    public float[] tokenWeights() {
        return tokenWeights.clone();
    }

    /**
     * The number of generated tokens with a map.
     *
     * @return the count
     */
    public int tokens() {
        return tokenWeights.length / (gridWidth * gridHeight);
    }

    /**
     * One generated token's map.
     *
     * @param token the token index, in {@code [0, tokens())}
     * @return {@code gridWidth · gridHeight} weights summing to 1, row-major
     * @throws InvalidArgumentException if the index is out of range
     */
    public float[] tokenWeights(int token) {
        Checks.checkArgument(token >= 0 && token < tokens(), "token must be in [0, %s) but was %s", tokens(), token);
        int cells = gridWidth * gridHeight;
        return Arrays.copyOfRange(tokenWeights, token * cells, (token + 1) * cells);
    }

    /**
     * The weight of patch {@code (x, y)}.
     *
     * @param x the column, from the left
     * @param y the row, from the top
     * @return the weight
     * @throws InvalidArgumentException if the patch is outside the grid
     */
    public float weight(int x, int y) {
        Checks.checkArgument(x >= 0 && x < gridWidth && y >= 0 && y < gridHeight, "patch (%s, %s) is outside the"
                + " %s×%s grid", x, y, gridWidth, gridHeight);
        return weights[y * gridWidth + x];
    }

    /**
     * The patch with the largest weight (the first in row-major order on ties).
     *
     * @return its index, {@code y · gridWidth + x}
     */
    public int peak() {
        int best = 0;
        for (int i = 1; i < weights.length; i++) {
            if (weights[i] > weights[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttentionMap m
                && gridWidth == m.gridWidth
                && gridHeight == m.gridHeight
                && Arrays.equals(weights, m.weights)
                && Arrays.equals(tokenWeights, m.tokenWeights);
    }

    @Override
    public int hashCode() {
        return (gridWidth * 31 + gridHeight) * 31 + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return "AttentionMap[" + gridWidth + "×" + gridHeight + ", " + tokens() + " tokens, peak " + peak() + "]";
    }
}
