package org.vlalign.torch.internal.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.NdArrays;

/**
 * Patch, CLS and position embeddings of the BLIP vision encoder ({@code Blip2VisionEmbeddings}).
 *
 * <p>Immutable after loading and thread-safe; the weights belong to the manager given at load time.
 *
 * @since 0.1.0
 */
public final class VitEmbeddings {
    static final String PATCH_WEIGHT = "%sembeddings.patch_embedding.weight";
    static final String PATCH_BIAS = "%sembeddings.patch_embedding.bias";
    static final String CLASS_EMBEDDING = "%sembeddings.class_embedding";
    static final String POSITION_EMBEDDING = "%sembeddings.position_embedding";

    private final BlipVisionConfig config;
    private final NDArray patchEmbeddingWeight; // (hidden, channels, patch, patch)
    private final NDArray patchEmbeddingBias; // (hidden)
    private final NDArray classEmbedding; // (1, 1, hidden)
    private final NDArray positionEmbedding; // (1, 1 + patches, hidden)

    private VitEmbeddings(
            BlipVisionConfig config, NDArray weight, NDArray bias, NDArray cls, NDArray positions) {
        this.config = config;
        this.patchEmbeddingWeight = weight;
        this.patchEmbeddingBias = bias;
        this.classEmbedding = cls;
        this.positionEmbedding = positions;
    }

    /**
     * Loads the embeddings.
     *
     * @param checkpoint the checkpoint
     * @param prefix the key prefix of the vision model, e.g. {@code vision_model.}
     * @param config the vision config
     * @param manager the model-level manager that will own the weights
     * @return the embeddings
     */
    public static VitEmbeddings load(
            TorchCheckpoint checkpoint, String prefix, BlipVisionConfig config, NDManager manager) {
        int h = config.hiddenSize();
        int p = config.patchSize();
        return new VitEmbeddings(
                config,
                checkpoint.load(
                        String.format(PATCH_WEIGHT, prefix), manager, h, config.numChannels(), p, p),
                checkpoint.load(String.format(PATCH_BIAS, prefix), manager, h),
                checkpoint.load(String.format(CLASS_EMBEDDING, prefix), manager, 1, 1, h),
                checkpoint.load(
                        String.format(POSITION_EMBEDDING, prefix),
                        manager,
                        1,
                        config.numPatches() + 1,
                        h));
    }

    /**
     * Embeds a batch of images.
     *
     * @param pixelValues {@code (batch, channels, imageSize, imageSize)}
     * @return {@code (batch, 1 + patches, hidden)}
     * @throws InvalidArgumentException if the pixel shape does not match the config
     */
    public NDArray forward(NDArray pixelValues) {
        Shape s = pixelValues.getShape();
        if (!config.fitsPixels(s)) {
            throw new InvalidArgumentException(
                    "pixel values of shape " + s + " do not match the vision config (channels "
                            + config.numChannels() + ", image_size " + config.imageSize()
                            + "); preprocess with the checkpoint's preprocessor_config.json");
        }
        long batch = s.get(0);
        int p = config.patchSize();
        // patch conv with bias: (batch, hidden, side, side)
        NDArray patches =
                Conv2d.conv2d(pixelValues, patchEmbeddingWeight, patchEmbeddingBias, new Shape(p, p))
                        .singletonOrThrow();
        // (batch, patches, hidden)
        NDArray tokens = patches.reshape(batch, config.hiddenSize(), -1).transpose(0, 2, 1);
        // (batch, 1, hidden)
        // owned by the caller's manager: results take their first operand's manager, and everything downstream
        // would otherwise pile up in the model's for the model's lifetime
        NDArray cls = NdArrays.own(classEmbedding.broadcast(batch, 1, config.hiddenSize()), pixelValues.getManager());
        // (batch, 1 + patches, hidden)
        return cls.concat(tokens, 1).add(positionEmbedding);
    }
}
