package org.vlalign.torch.internal.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.Checks;

/**
 * The CLIP vision tower ({@code CLIPVisionTransformer}): patch embeddings, {@code pre_layrnorm} (sic,
 * the key's spelling), pre-LN encoder layers, and {@code post_layernorm} applied to the class token
 * only for the pooled output.
 *
 * <p>Hidden state {@code 0} is the pre-layer-normed embedding output and hidden state {@code i} the
 * output of layer {@code i}, as in Hugging Face's {@code output_hidden_states}. The tower may be built
 * with fewer layers than the config has, for LLaVA, which reads an inner layer and never the last.
 *
 * <p>Immutable after construction; thread-safe. The arrays it returns belong to the input's manager.
 *
 * @since 0.1.0
 */
public final class ClipVisionModel {
    private static final String EMBEDDINGS = "embeddings.";
    private static final String PRE_LAYRNORM = "pre_layrnorm.";
    private static final String POST_LAYERNORM = "post_layernorm.";

    private final ClipVisionConfig config;
    private final ClipVisionEmbeddings embeddings;
    private final ClipLayerNorm preLayrnorm;
    private final List<ClipEncoderLayer> layers;
    private final ClipLayerNorm postLayernorm; // null when built without all layers

    /**
     * Loads the whole tower, including {@code post_layernorm}.
     *
     * @param weights the view {@code vision_model.} (or {@code vision_tower.vision_model.})
     * @param config the vision config
     */
    public ClipVisionModel(ClipWeights weights, ClipVisionConfig config) {
        this(weights, config, config.numHiddenLayers());
    }

    /**
     * Loads the first {@code layersToLoad} layers; {@code post_layernorm} is loaded only with all of
     * them.
     *
     * @param weights the view {@code vision_model.}
     * @param config the vision config
     * @param layersToLoad how many layers to load, {@code 0..num_hidden_layers}
     */
    public ClipVisionModel(ClipWeights weights, ClipVisionConfig config, int layersToLoad) {
        Checks.checkArgument(layersToLoad >= 0 && layersToLoad <= config.numHiddenLayers(),
                "layersToLoad %s is outside [0, %s]", layersToLoad, config.numHiddenLayers());
        this.config = config;
        this.embeddings = new ClipVisionEmbeddings(weights.under(EMBEDDINGS), config);
        this.preLayrnorm = new ClipLayerNorm(weights.under(PRE_LAYRNORM), config.hiddenSize(),
                config.layerNormEps());
        ClipActivation act = ClipActivation.of(config.hiddenAct());
        List<ClipEncoderLayer> loaded = new ArrayList<>(layersToLoad);
        for (int i = 0; i < layersToLoad; i++) {
            loaded.add(new ClipEncoderLayer(
                    weights.under(String.format(ClipEncoderLayer.LAYER_PREFIX, i)),
                    config.hiddenSize(), config.intermediateSize(), config.numAttentionHeads(), act,
                    config.layerNormEps()));
        }
        this.layers = List.copyOf(loaded);
        this.postLayernorm = layersToLoad == config.numHiddenLayers()
                ? new ClipLayerNorm(weights.under(POST_LAYERNORM), config.hiddenSize(),
                        config.layerNormEps())
                : null;
    }

    /**
     * The config.
     *
     * @return the vision config
     */
    public ClipVisionConfig config() {
        return config;
    }

    /**
     * The number of layers loaded.
     *
     * @return the layer count
     */
    public int loadedLayers() {
        return layers.size();
    }

    /**
     * Hidden states {@code 0..upTo}: the embedding output after {@code pre_layrnorm}, then the output
     * of each layer.
     *
     * @param pixelValues {@code (batch, channels, image, image)}
     * @param upTo the last hidden state wanted, {@code 0..loadedLayers()}
     * @return {@code upTo + 1} arrays of {@code (batch, 1 + patches, hidden)}
     */
    public List<NDArray> hiddenStates(NDArray pixelValues, int upTo) {
        Checks.checkArgument(upTo >= 0 && upTo <= layers.size(),
                "upTo %s is outside [0, %s]", upTo, layers.size());
        List<NDArray> states = new ArrayList<>(upTo + 1);
        NDArray h = preLayrnorm.forward(embeddings.forward(pixelValues)); // (batch, 1 + patches, hidden)
        states.add(h);
        for (int i = 0; i < upTo; i++) {
            h = layers.get(i).forward(h, null); // (batch, 1 + patches, hidden)
            states.add(h);
        }
        return states;
    }

    /**
     * The last hidden state (not post-layer-normed) and the pooled output.
     *
     * @param pixelValues {@code (batch, channels, image, image)}
     * @return the outputs
     * @throws IllegalStateException if the tower was built without all layers
     */
    public Output forward(NDArray pixelValues) {
        Preconditions.checkState(postLayernorm != null,
                "this vision tower was loaded with %s of %s layers and has no pooled output",
                layers.size(), config.numHiddenLayers());
        NDArray last = hiddenStates(pixelValues, layers.size()).get(layers.size());
        // Pooled: post_layernorm of the class token only.
        NDArray pooled = postLayernorm.forward(last.get(new NDIndex(":, 0, :"))); // (batch, hidden)
        return new Output(last, pooled);
    }

    /**
     * The vision tower's outputs.
     *
     * @param lastHiddenState {@code (batch, 1 + patches, hidden)}
     * @param pooledOutput {@code (batch, hidden)}
     */
    public record Output(NDArray lastHiddenState, NDArray pooledOutput) {}
}
