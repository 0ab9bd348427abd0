package org.vlalign;

import java.util.Map;

/**
 * One result of an image search.
 *
 * <p>The {@linkplain #score score} ranks images for one query; its level says little on its own (an
 * unrelated text can score as high as a true description on another image). The {@linkplain #relevance
 * relevance} says whether the text describes this image at all: it compares the score with the scores
 * that a fixed bank of unrelated reference texts get on the same image. {@link VlModel#search} fills it
 * in; a search by vector ({@link ImageIndex#search}) has no text, so its hits have none.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the image's id in the index
 * @param score the similarity; higher is better (for BLIP-2, the maximum over the image's query
 *     vectors of the dot product with the text vector; for CLIP, the cosine)
 * @param metadata the metadata stored with the image, such as {@code source}
 * @param relevance how many standard deviations the score lies above the mean score of the reference
 *     texts on this image; {@code NaN} when unknown
 * @since 0.1.0
 */
public record SearchHit(String id, float score, Map<String, String> metadata, double relevance) {

    /**
     * The relevance from which {@link #isGoodMatch} holds. Calibrated on the embedded default model
     * (see the README's search section): on held-out scenes, 91–95% of descriptions of indexed images
     * reach it with their best hit, and no text about things the model has never seen reaches it with any
     * of its ten best hits. For another model, judge {@link #relevance} against your own queries.
     *
     * @since 0.2.0
     */
    public static final double GOOD_MATCH_RELEVANCE = 2.0;

    /** Validates and copies. */
    public SearchHit {
        Checks.checkNotNull(id, "id");
        metadata = Map.copyOf(Checks.checkNotNull(metadata, "metadata"));
    }

    /**
     * A hit whose relevance is unknown.
     *
     * @param id the image's id in the index
     * @param score the similarity; higher is better
     * @param metadata the metadata stored with the image
     */
    public SearchHit(String id, float score, Map<String, String> metadata) {
        this(id, score, metadata, Double.NaN);
    }

    /**
     * This hit with a relevance.
     *
     * @param value the relevance, or {@code NaN} for unknown
     * @return a copy with that relevance
     * @since 0.2.0
     */
    public SearchHit withRelevance(double value) {
        return new SearchHit(id, score, metadata, value);
    }

    /**
     * Whether the relevance is known.
     *
     * @return false for hits of a search by vector, or of an index that keeps no vectors
     * @since 0.2.0
     */
    public boolean hasRelevance() {
        return !Double.isNaN(relevance);
    }

    /**
     * Whether the text describes this image well: the relevance is known and at least {@link
     * #GOOD_MATCH_RELEVANCE}. When no hit of a search is a good match, the index holds nothing like the
     * text, and the hits are only the least unlike.
     *
     * @return whether this is a good match
     * @since 0.2.0
     */
    public boolean isGoodMatch() {
        return relevance >= GOOD_MATCH_RELEVANCE;
    }
}
