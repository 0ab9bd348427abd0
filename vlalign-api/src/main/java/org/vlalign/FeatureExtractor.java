package org.vlalign;

import java.util.ArrayList;
import java.util.List;

/**
 * The vision side of a pipeline: turns an image into features for the {@link Adaptor}, and images and
 * texts into vectors for search.
 *
 * <p>Implementations: the BLIP-2 / InstructBLIP ViT + Q-Former ({@code (num_query_tokens,
 * qformer_hidden)} features, 32×768 for the real models), the CLIP vision tower as LLaVA-1.5 uses it
 * ({@code (patches, vision_hidden)}), and the CLIP dual encoder for search.
 *
 * <p>Implementations are thread-safe: any number of threads may call them concurrently.
 *
 * @since 0.1.0
 */
public interface FeatureExtractor extends AutoCloseable {

    /**
     * Features of an image for the language side.
     *
     * @param image the image
     * @return the features, shape {@code (tokens, hidden)}
     * @throws ImageDecodingException if the image cannot be decoded
     */
    default Features extract(ImageInput image) {
        return extract(image, "");
    }

    /**
     * Features of an image given an instruction. Instruction-aware extractors (InstructBLIP's Q-Former)
     * feed the instruction with the queries; others ignore it.
     *
     * @param image the image
     * @param instruction the instruction text; may be empty
     * @return the features, shape {@code (tokens, hidden)}
     * @throws ImageDecodingException if the image cannot be decoded
     */
    Features extract(ImageInput image, String instruction);

    /**
     * Features of several images in one forward pass where the implementation can.
     *
     * @param images the images
     * @param instructions one instruction per image (empty strings for none)
     * @return the features, in order
     */
    default List<Features> extractBatch(List<ImageInput> images, List<String> instructions) {
        Checks.checkSameSize("images", images, "instructions", instructions);
        List<Features> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            out.add(extract(images.get(i), instructions.get(i)));
        }
        return out;
    }

    /**
     * Whether {@link #extract(ImageInput, String)} uses the instruction.
     *
     * @return true for instruction-aware extractors
     */
    default boolean acceptsInstruction() {
        return false;
    }

    /**
     * The width of the features {@link #extract(ImageInput, String)} returns: the {@code hidden} of
     * {@code (tokens, hidden)}, the same for every image. A composition checks it against the {@link
     * Adaptor#inputDim() adaptor's input width} when it is built, before any image is read.
     *
     * @return the feature width, at least 1
     * @since 0.2.0
     */
    int featureWidth();

    /**
     * Whether this extractor embeds images and texts for search: if true, {@link #embeddingSpace()},
     * {@link #embedImage} and {@link #embedText} work; if false, they throw {@link
     * UnsupportedModelException}. Ask this instead of catching the exception.
     *
     * @return true if the extractor has search projections (BLIP-2 retrieval, CLIP)
     * @since 0.2.0
     */
    boolean canEmbed();

    /**
     * The search space of this extractor, if it can embed for search.
     *
     * @return the space
     * @throws UnsupportedModelException if this extractor has no search projections ({@link #canEmbed()}
     *     is false)
     */
    EmbeddingSpace embeddingSpace();

    /**
     * Search vectors of an image: L2-normalised rows, several for BLIP-2 (one per query token), one for
     * CLIP.
     *
     * @param image the image
     * @return shape {@code (vectors, dimension)}
     * @throws UnsupportedModelException if this extractor has no search projections
     */
    Features embedImage(ImageInput image);

    /**
     * The search vector of a text: one L2-normalised row.
     *
     * @param text the query, not empty
     * @return shape {@code (1, dimension)}
     * @throws InvalidArgumentException if the text is empty or longer than the text encoder accepts
     * @throws UnsupportedModelException if this extractor has no search projections
     */
    Features embedText(String text);

    /** Releases native memory held by the weights. Idempotent. */
    @Override
    void close();
}
