package org.vlalign.core;

import java.util.List;
import org.vlalign.Checks;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.AttendingFeatureExtractor;
import org.vlalign.spi.PatchAttention;

/**
 * One feature extractor made of two: the language model's features come from the <em>answering</em>
 * extractor, search embeddings from the <em>searching</em> one. BLIP-2 ships its retrieval Q-Former apart
 * from the Q-Former it tunes for generation, and InstructBLIP tunes its Q-Former on instructions: once a
 * Q-Former learns to feed a language model, its query rows no longer match the text side it was
 * contrastively trained with, so search keeps the untouched one.
 *
 * <p>The result implements {@link AttendingFeatureExtractor} when the answering side does. It owns both
 * parts: {@link #close} closes them. Thread-safe when both parts are.
 *
 * @since 0.2.0
 */
public class SplitFeatureExtractor implements FeatureExtractor {
    private final FeatureExtractor answering;
    private final FeatureExtractor searching;

    private SplitFeatureExtractor(FeatureExtractor answering, FeatureExtractor searching) {
        this.answering = answering;
        this.searching = searching;
    }

    /**
     * Joins two extractors.
     *
     * @param answering the extractor whose features the adaptor reads
     * @param searching the extractor whose embeddings index and query images; it must be able to embed
     * @return the joined extractor, an {@link AttendingFeatureExtractor} if {@code answering} is one; it owns
     *     both parts
     * @throws InvalidArgumentException if a part is null, or {@code searching} cannot embed
     */
    public static FeatureExtractor of(FeatureExtractor answering, FeatureExtractor searching) {
        Checks.checkNotNull(answering, "answering");
        Checks.checkNotNull(searching, "searching");
        if (!searching.canEmbed()) {
            throw new InvalidArgumentException("the searching extractor " + searching + " has no search"
                    + " projections; use a retrieval checkpoint (e.g. Blip2ForImageTextRetrieval or CLIP)");
        }
        return answering instanceof AttendingFeatureExtractor
                ? new Attending(answering, searching) : new SplitFeatureExtractor(answering, searching);
    }

    @Override
    public Features extract(ImageInput image, String instruction) {
        return answering.extract(image, instruction);
    }

    @Override
    public List<Features> extractBatch(List<ImageInput> images, List<String> instructions) {
        return answering.extractBatch(images, instructions);
    }

    @Override
    public boolean acceptsInstruction() {
        return answering.acceptsInstruction();
    }

    @Override
    public int featureWidth() {
        return answering.featureWidth();
    }

    @Override
    public boolean canEmbed() {
        return true;
    }

    @Override
    public EmbeddingSpace embeddingSpace() {
        return searching.embeddingSpace();
    }

    @Override
    public Features embedImage(ImageInput image) {
        return searching.embedImage(image);
    }

    @Override
    public Features embedText(String text) {
        return searching.embedText(text);
    }

    /** Closes the searching part, then the answering part (both, even if the first fails). */
    @Override
    public void close() {
        try (FeatureExtractor a = answering) {
            searching.close();
        }
    }

    @Override
    public String toString() {
        return "SplitFeatureExtractor[answers with " + answering + ", searches with " + searching + "]";
    }

    /** The split whose answering side relates its features to the image's patches. */
    private static final class Attending extends SplitFeatureExtractor implements AttendingFeatureExtractor {
        private final AttendingFeatureExtractor attending;

        Attending(FeatureExtractor answering, FeatureExtractor searching) {
            super(answering, searching);
            this.attending = (AttendingFeatureExtractor) answering;
        }

        @Override
        public PatchAttention extractWithPatchAttention(ImageInput image, String instruction) {
            return attending.extractWithPatchAttention(image, instruction);
        }
    }
}
