package org.vlalign.core.index;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;

/**
 * Argument checks and the embedding-space check shared by the index implementations: every {@link
 * org.vlalign.ImageIndex} backend (exact, Lucene HNSW, SolrCloud) validates upserts and queries, and
 * records and compares its embedding space, through these, so they all fail alike.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class IndexChecks {
    /** Metadata key of the stored space's model family. */
    public static final String SPACE_FAMILY = "vlalign.space.family";
    /** Metadata key of the stored space's weights fingerprint. */
    public static final String SPACE_FINGERPRINT = "vlalign.space.fingerprint";
    /** Metadata key of the stored space's preprocessing. */
    public static final String SPACE_PREPROCESSING = "vlalign.space.preprocessing";
    /** Metadata key of the stored space's dimension. */
    public static final String SPACE_DIMENSION = "vlalign.space.dimension";

    /**
     * The most neighbours per node an HNSW graph may have: Lucene's {@code
     * Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN}, which a SolrCloud collection's dense vector field
     * enforces too.
     */
    public static final int HNSW_MAX_CONN = 512;
    /**
     * The widest beam an HNSW graph may be built with: Lucene's {@code
     * Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH}, which a SolrCloud collection enforces too.
     */
    public static final int HNSW_MAX_BEAM_WIDTH = 3200;

    private IndexChecks() {}

    /** Validates an upsert and returns an immutable copy of the metadata. */
    public static Map<String, String> checkUpsert(
            EmbeddingSpace space, String id, Features vectors, Map<String, String> metadata) {
        if (id == null || id.isEmpty()) {
            throw new InvalidArgumentException("id must not be null or empty but was '" + id + "'");
        }
        if (vectors == null) {
            throw new InvalidArgumentException("vectors of image '" + id + "' must not be null");
        }
        if (vectors.cols() != space.dimension()) {
            throw new InvalidArgumentException(
                    "vectors of image '" + id + "' have shape " + Arrays.toString(vectors.shape())
                            + " but this index holds vectors of width " + space.dimension()
                            + " (space " + describe(space) + "). Embed the image with the model"
                            + " that built the index.");
        }
        if (metadata == null) {
            throw new InvalidArgumentException("metadata of image '" + id + "' must not be null; pass Map.of()");
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new InvalidArgumentException(
                        "metadata of image '" + id + "' has a null key or value: " + e);
            }
        }
        checkFinite("vectors of image '" + id + "'", vectors.data());
        return Map.copyOf(metadata);
    }

    /**
     * Validates the number of approximate-search candidates an ANN index gathers.
     *
     * @param numCandidates the candidates
     * @throws InvalidArgumentException unless positive
     */
    public static void checkNumCandidates(int numCandidates) {
        if (numCandidates < 1) {
            throw new InvalidArgumentException("numCandidates must be positive but was " + numCandidates);
        }
    }

    /**
     * Validates the graph settings of an HNSW index (Lucene's, or a SolrCloud collection's).
     *
     * @param maxConn neighbours per graph node (Lucene's {@code M})
     * @param beamWidth candidates considered while building the graph
     * @throws InvalidArgumentException naming the first setting outside Lucene's limits
     * @since 0.3.0
     */
    public static void checkHnswGraph(int maxConn, int beamWidth) {
        if (maxConn < 2 || maxConn > HNSW_MAX_CONN) {
            throw new InvalidArgumentException("maxConn must be in [2, " + HNSW_MAX_CONN + "] but was " + maxConn);
        }
        if (beamWidth < 1 || beamWidth > HNSW_MAX_BEAM_WIDTH) {
            throw new InvalidArgumentException(
                    "beamWidth must be in [1, " + HNSW_MAX_BEAM_WIDTH + "] but was " + beamWidth);
        }
    }

    /** Validates vector values: finite, so that ranking is well defined. */
    public static void checkFinite(String what, float[] data) {
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new InvalidArgumentException(
                        what + " has a non-finite value " + data[i] + " at position " + i
                                + "; vectors must be L2-normalised finite values");
            }
        }
    }

    /** Validates a query and returns its vector. */
    public static float[] checkQuery(EmbeddingSpace space, Features query, int k) {
        if (k < 1) {
            throw new InvalidArgumentException("k must be at least 1 but was " + k);
        }
        if (query == null) {
            throw new InvalidArgumentException("query must not be null");
        }
        if (query.rows() != 1 || query.cols() != space.dimension()) {
            throw new InvalidArgumentException(
                    "query has shape " + Arrays.toString(query.shape()) + " but must be (1, "
                            + space.dimension() + ") for space " + describe(space)
                            + ". Embed the text with the model that built the index.");
        }
        float[] q = query.data();
        checkFinite("query", q);
        return q;
    }

    /** Refuses to open an index that was built in another space. */
    public static void checkSameSpace(Path dir, EmbeddingSpace stored, EmbeddingSpace requested) {
        checkSameSpace("The index at " + dir, "another folder", stored, requested);
    }

    /**
     * Refuses to use an index that was built in another space.
     *
     * @param index names the index, e.g. {@code "The SolrCloud collection images"}
     * @param elsewhere where a fresh index for the requested space could go, e.g. {@code "another collection"}
     * @param stored the space the index was built in
     * @param requested the space the caller embeds in
     */
    public static void checkSameSpace(String index, String elsewhere, EmbeddingSpace stored, EmbeddingSpace requested) {
        if (!stored.equals(requested)) {
            throw new InvalidArgumentException(
                    index + " holds vectors of space " + describe(stored)
                            + " but was opened for space " + describe(requested) + ". Scores between"
                            + " different models or preprocessing are meaningless. Open it with the"
                            + " model that built it, or index the images again with this model into "
                            + elsewhere + ".");
        }
    }

    public static String describe(EmbeddingSpace s) {
        return "[family=" + s.family() + ", fingerprint=" + s.fingerprint() + ", preprocessing="
                + s.preprocessing() + ", dimension=" + s.dimension() + "]";
    }

    public static Map<String, String> toMap(EmbeddingSpace s) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(SPACE_FAMILY, s.family());
        m.put(SPACE_FINGERPRINT, s.fingerprint());
        m.put(SPACE_PREPROCESSING, s.preprocessing());
        m.put(SPACE_DIMENSION, Integer.toString(s.dimension()));
        return m;
    }

    /** The space stored in a map written by {@link #toMap}, or null if the map holds none. */
    public static EmbeddingSpace fromMap(Map<String, String> m) {
        if (!m.containsKey(SPACE_DIMENSION)) {
            return null;
        }
        return new EmbeddingSpace(
                m.get(SPACE_FAMILY),
                m.get(SPACE_FINGERPRINT),
                m.get(SPACE_PREPROCESSING),
                Integer.parseInt(m.get(SPACE_DIMENSION)));
    }
}
