package org.vlalign.torch.internal.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;

/**
 * The BLIP-2 / InstructBLIP vision encoder ({@code Blip2VisionModel}): embeddings, pre-LN encoder layers and
 * {@code post_layernorm}; the pooled output applies {@code post_layernorm} once more to the CLS row, as the
 * Hugging Face implementation does.
 *
 * <p>Immutable after loading and thread-safe: concurrent forward passes share the weights and allocate only in
 * the manager of their input.
 *
 * <pre>{@code
 * BlipVisionModel vision = BlipVisionModel.load(checkpoint, "vision_model.", config, modelManager);
 * try (NDManager call = modelManager.newSubManager()) {
 *     BlipVisionModel.Output out = vision.forward(call.create(pixels, new Shape(1, 3, 224, 224)));
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class BlipVisionModel {
    static final String POST_LAYERNORM_WEIGHT = "%spost_layernorm.weight";
    static final String POST_LAYERNORM_BIAS = "%spost_layernorm.bias";

    /**
     * Output of a forward pass.
     *
     * @param lastHiddenState {@code (batch, 1 + patches, hidden)} after {@code post_layernorm}
     * @param poolerOutput {@code (batch, hidden)}: {@code post_layernorm} applied again to the CLS row
     */
    public record Output(NDArray lastHiddenState, NDArray poolerOutput) {}

    private final BlipVisionConfig config;
    private final VitEmbeddings embeddings;
    private final List<VitEncoderLayer> layers;
    private final NDArray postLayernormWeight; // (hidden)
    private final NDArray postLayernormBias; // (hidden)

    private BlipVisionModel(
            BlipVisionConfig config,
            VitEmbeddings embeddings,
            List<VitEncoderLayer> layers,
            NDArray postWeight,
            NDArray postBias) {
        this.config = config;
        this.embeddings = embeddings;
        this.layers = List.copyOf(layers);
        this.postLayernormWeight = postWeight;
        this.postLayernormBias = postBias;
    }

    /**
     * Loads the vision encoder.
     *
     * @param checkpoint the checkpoint
     * @param prefix the key prefix, e.g. {@code vision_model.}
     * @param config the config
     * @param manager the model-level manager that will own the weights
     * @return the model
     */
    public static BlipVisionModel load(
            TorchCheckpoint checkpoint, String prefix, BlipVisionConfig config, NDManager manager) {
        VitEmbeddings embeddings = VitEmbeddings.load(checkpoint, prefix, config, manager);
        List<VitEncoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(VitEncoderLayer.load(checkpoint, prefix, i, config, manager));
        }
        int h = config.hiddenSize();
        return new BlipVisionModel(
                config,
                embeddings,
                layers,
                checkpoint.load(String.format(POST_LAYERNORM_WEIGHT, prefix), manager, h),
                checkpoint.load(String.format(POST_LAYERNORM_BIAS, prefix), manager, h));
    }

    /**
     * The config.
     *
     * @return the config
     */
    public BlipVisionConfig config() {
        return config;
    }

    /**
     * Encodes a batch of preprocessed images.
     *
     * @param pixelValues {@code (batch, channels, imageSize, imageSize)}
     * @return the last hidden state and the pooled output
     */
    public Output forward(NDArray pixelValues) {
        NDArray hidden = embeddings.forward(pixelValues); // (batch, 1 + patches, hidden)
        for (VitEncoderLayer layer : layers) {
            hidden = layer.forward(hidden);
        }
        Shape norm = new Shape(config.hiddenSize());
        float eps = (float) config.layerNormEps();
        NDArray last = LayerNorm.layerNorm(hidden, norm, postLayernormWeight, postLayernormBias, eps)
                .singletonOrThrow(); // (batch, 1 + patches, hidden)
        NDArray cls = last.get(":, 0, :"); // (batch, hidden)
        NDArray pooled = LayerNorm.layerNorm(cls, norm, postLayernormWeight, postLayernormBias, eps)
                .singletonOrThrow(); // (batch, hidden)
        return new Output(last, pooled);
    }
}
