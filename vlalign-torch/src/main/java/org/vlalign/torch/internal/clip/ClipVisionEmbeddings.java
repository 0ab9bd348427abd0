package org.vlalign.torch.internal.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.vlalign.InvalidArgumentException;

/**
 * CLIP's patch embedding: a bias-free strided convolution, a learned class token in front, and learned
 * absolute position embeddings.
 *
 * <p>Immutable after construction; thread-safe.
 *
 * @since 0.1.0
 */
public final class ClipVisionEmbeddings {
    private static final String CLASS_EMBEDDING = "class_embedding";
    private static final String PATCH_EMBEDDING = "patch_embedding.weight";
    private static final String POSITION_EMBEDDING = "position_embedding.weight";

    private final ClipVisionConfig config;
    private final NDArray classEmbedding; // (hidden)
    private final NDArray patchEmbedding; // (hidden, channels, patch, patch)
    private final NDArray positionEmbedding; // (1 + patches, hidden)
    private final Shape stride;

    /**
     * Loads the embeddings.
     *
     * @param weights the view {@code embeddings.}
     * @param config the vision config
     */
    public ClipVisionEmbeddings(ClipWeights weights, ClipVisionConfig config) {
        this.config = config;
        int hidden = config.hiddenSize();
        this.classEmbedding = weights.load(CLASS_EMBEDDING, hidden);
        this.patchEmbedding = weights.load(PATCH_EMBEDDING,
                hidden, config.numChannels(), config.patchSize(), config.patchSize());
        this.positionEmbedding = weights.load(POSITION_EMBEDDING, 1 + config.numPatches(), hidden);
        this.stride = new Shape(config.patchSize(), config.patchSize());
    }

    /**
     * Embeds images.
     *
     * @param pixelValues {@code (batch, channels, image, image)}
     * @return {@code (batch, 1 + patches, hidden)}
     * @throws InvalidArgumentException if the image size is not the configured one
     */
    public NDArray forward(NDArray pixelValues) {
        Shape shape = pixelValues.getShape();
        if (!config.fitsPixels(shape)) {
            throw new InvalidArgumentException(
                    "pixel values have shape " + shape + " but this CLIP vision tower expects (batch, "
                            + config.numChannels() + ", " + config.imageSize() + ", "
                            + config.imageSize() + "). Preprocess with the checkpoint's"
                            + " preprocessor_config.json.");
        }
        long batch = shape.get(0);
        int hidden = config.hiddenSize();
        // Non-overlapping patches through the strided convolution, flattened to a sequence.
        NDArray patches = Conv2d.conv2d(pixelValues, patchEmbedding, null, stride)
                .singletonOrThrow() // (batch, hidden, side, side)
                .reshape(batch, hidden, config.numPatches())
                .transpose(0, 2, 1); // (batch, patches, hidden)
        // Class token first, then absolute positions. The class row is built from the call's own
        // array (0 + class_embedding, exact) so every result stays in the caller's manager.
        NDArray cls = patches.get(new NDIndex(":, 0:1, :")).zerosLike()
                .add(classEmbedding); // (batch, 1, hidden)
        return NDArrays.concat(new NDList(cls, patches), 1)
                .add(positionEmbedding); // (batch, 1 + patches, hidden)
    }
}
