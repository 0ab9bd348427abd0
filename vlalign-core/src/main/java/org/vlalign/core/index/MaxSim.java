package org.vlalign.core.index;

/**
 * The score of an image for a query: the maximum over the image's vectors of the dot product, computed
 * exactly as {@link ExactImageIndex} computes it, so that indexes which re-rank candidates from stored
 * vectors (SolrCloud) report bit-for-bit the scores of the exact scan.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.3.0
 */
public final class MaxSim {
    private MaxSim() {}

    /**
     * The maximum over the rows of {@code rows} of the dot product with {@code query}.
     *
     * @param query the query vector, width {@code d}
     * @param rows the image's vectors, row-major, a multiple of {@code d} values, at least one row
     * @return the score
     */
    public static float score(float[] query, float[] rows) {
        return VectorOps.maxDot(query, rows, 0, rows.length / query.length);
    }
}
