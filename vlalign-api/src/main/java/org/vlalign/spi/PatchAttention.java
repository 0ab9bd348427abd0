package org.vlalign.spi;

import java.util.Arrays;
import org.vlalign.Checks;
import org.vlalign.Features;

/**
 * An image's features together with how each feature row relates to the image's patches: what a composition
 * needs to turn the language model's attention to the image positions into an {@link
 * org.vlalign.AttentionMap} over patches.
 *
 * <p>Immutable and thread-safe; the array is copied in and out.
 *
 * @param features the features, as {@link org.vlalign.FeatureExtractor#extract} returns them, {@code (rows,
 *     width)}
 * @param gridWidth patches across
 * @param gridHeight patches down
 * @param rowToPatch {@code (rows, gridWidth · gridHeight)} row-major: feature row {@code r}'s weight on each
 *     patch (for a Q-Former, query {@code r}'s cross-attention probabilities averaged over heads and
 *     cross-attending layers, without the CLS position); or null when the feature rows are the patches
 *     themselves, in row-major order (a CLIP ViT grid without CLS, as LLaVA uses it)
 * @since 0.2.0
 */
public record PatchAttention(Features features, int gridWidth, int gridHeight, float[] rowToPatch) {

    /** Validates and copies. */
    public PatchAttention {
        Checks.checkNotNull(features, "features");
        Checks.checkArgument(gridWidth >= 1 && gridHeight >= 1, "the grid must be at least 1×1 but was %s×%s",
                gridWidth, gridHeight);
        int cells = Math.multiplyExact(gridWidth, gridHeight);
        if (rowToPatch == null) {
            Checks.checkArgument(features.rows() == cells, "without rowToPatch the %s feature rows must be the"
                    + " %s×%s patches", features.rows(), gridWidth, gridHeight);
        } else {
            Checks.checkArgument((long) features.rows() * cells == rowToPatch.length, "rowToPatch has %s values"
                    + " but %s rows × %s patches need %s", rowToPatch.length, features.rows(), cells,
                    (long) features.rows() * cells);
            for (float v : rowToPatch) {
                Checks.checkArgument(v >= 0 && Float.isFinite(v), "rowToPatch has weight %s; weights must be"
                        + " finite and non-negative", v);
            }
            rowToPatch = rowToPatch.clone();
        }
    }

    /**
     * A copy of the row-to-patch weights.
     *
     * @return the weights, or null when the rows are the patches
     */
    @Override
    public float[] rowToPatch() {
        return rowToPatch == null ? null : rowToPatch.clone();
    }

    /**
     * Maps weights over the feature rows to weights over the patches: {@code patch[p] = Σ_r rows[r] ·
     * rowToPatch[r][p]}, or the weights themselves when the rows are the patches.
     *
     * @param rowWeights one weight per feature row
     * @return one weight per patch, row-major (not normalised)
     * @throws org.vlalign.InvalidArgumentException if there is not one weight per row
     */
    public float[] toPatches(float[] rowWeights) {
        int rows = features.rows();
        Checks.checkArgument(rowWeights.length == rows, "%s row weights for %s feature rows", rowWeights.length,
                rows);
        if (rowToPatch == null) {
            return rowWeights.clone();
        }
        int cells = gridWidth * gridHeight;
        double[] acc = new double[cells];
        for (int r = 0; r < rows; r++) {
            double w = rowWeights[r];
            for (int p = 0; p < cells; p++) {
                acc[p] += w * rowToPatch[r * cells + p];
            }
        }
        float[] out = new float[cells];
        for (int p = 0; p < cells; p++) {
            out[p] = (float) acc[p];
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PatchAttention a && features.equals(a.features) && gridWidth == a.gridWidth
                && gridHeight == a.gridHeight && Arrays.equals(rowToPatch, a.rowToPatch);
    }

    @Override
    public int hashCode() {
        return features.hashCode() * 31 + Arrays.hashCode(rowToPatch);
    }

    @Override
    public String toString() {
        return "PatchAttention[" + features.rows() + " rows over " + gridWidth + "×" + gridHeight + " patches"
                + (rowToPatch == null ? ", rows are patches" : "") + "]";
    }
}
