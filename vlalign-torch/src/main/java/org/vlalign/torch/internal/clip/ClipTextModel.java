package org.vlalign.torch.internal.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.InvalidArgumentException;

/**
 * The CLIP text encoder ({@code CLIPTextTransformer}): token plus learned absolute position
 * embeddings, pre-LN layers under a causal and a padding mask, {@code final_layer_norm}, and the pooled
 * output taken at the end-of-text position.
 *
 * <p>Pooling follows transformers 4.45: when the config's {@code eos_token_id} is {@code 2} (the
 * original OpenAI configs, whose real end token is the highest id) the pooled position is the first
 * argmax of the ids; otherwise it is the first position holding {@code eos_token_id} (position 0 if
 * there is none).
 *
 * <p>Immutable after construction; thread-safe. The arrays it returns belong to the input's manager.
 *
 * @since 0.1.0
 */
public final class ClipTextModel {
    private static final String TOKEN_EMBEDDING = "embeddings.token_embedding.weight";
    private static final String POSITION_EMBEDDING = "embeddings.position_embedding.weight";
    private static final String FINAL_LAYER_NORM = "final_layer_norm.";
    /** The eos id that selects the legacy argmax pooling rule in transformers 4.45. */
    private static final int LEGACY_EOS_TOKEN_ID = 2;
    /** {@code torch.finfo(torch.float32).min}: HF's additive mask value. */
    private static final float MASK_MIN = -Float.MAX_VALUE;

    private final ClipTextConfig config;
    private final NDArray tokenEmbedding; // (vocab, hidden)
    private final NDArray positionEmbedding; // (max_positions, hidden)
    private final List<ClipEncoderLayer> layers;
    private final ClipLayerNorm finalLayerNorm;

    /**
     * Loads the encoder.
     *
     * @param weights the view {@code text_model.}
     * @param config the text config
     */
    public ClipTextModel(ClipWeights weights, ClipTextConfig config) {
        this.config = config;
        int hidden = config.hiddenSize();
        this.tokenEmbedding = weights.load(TOKEN_EMBEDDING, config.vocabSize(), hidden);
        this.positionEmbedding = weights.load(POSITION_EMBEDDING,
                config.maxPositionEmbeddings(), hidden);
        ClipActivation act = ClipActivation.of(config.hiddenAct());
        List<ClipEncoderLayer> loaded = new ArrayList<>(config.numHiddenLayers());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            loaded.add(new ClipEncoderLayer(
                    weights.under(String.format(ClipEncoderLayer.LAYER_PREFIX, i)),
                    hidden, config.intermediateSize(), config.numAttentionHeads(), act,
                    config.layerNormEps()));
        }
        this.layers = List.copyOf(loaded);
        this.finalLayerNorm = new ClipLayerNorm(weights.under(FINAL_LAYER_NORM), hidden,
                config.layerNormEps());
    }

    /**
     * The config.
     *
     * @return the text config
     */
    public ClipTextConfig config() {
        return config;
    }

    /**
     * Encodes a batch of token rows of equal length.
     *
     * @param manager where the results live
     * @param inputIds {@code [batch][seq]} token ids
     * @param attentionMask {@code [batch][seq]}, 1 for real tokens and 0 for padding; null for all ones
     * @return the outputs
     * @throws InvalidArgumentException if a row is empty, longer than {@code max_position_embeddings},
     *     the rows differ in length, or an id is outside the vocabulary
     */
    public Output forward(NDManager manager, long[][] inputIds, long[][] attentionMask) {
        int batch = inputIds.length;
        if (batch == 0 || inputIds[0].length == 0) {
            throw new InvalidArgumentException("the CLIP text encoder needs at least one non-empty row");
        }
        int seq = inputIds[0].length;
        if (seq > config.maxPositionEmbeddings()) {
            throw new InvalidArgumentException(
                    "text of " + seq + " tokens is longer than the CLIP text encoder accepts"
                            + " (max_position_embeddings " + config.maxPositionEmbeddings()
                            + ", start and end tokens included). Shorten the text.");
        }
        long[] flat = new long[batch * seq];
        float[] padMask = new float[batch * seq];
        for (int b = 0; b < batch; b++) {
            if (inputIds[b].length != seq
                    || (attentionMask != null && attentionMask[b].length != seq)) {
                throw new InvalidArgumentException(
                        "row " + b + " has " + inputIds[b].length + " ids but row 0 has " + seq
                                + "; pad the rows to one length with an attention mask");
            }
            for (int t = 0; t < seq; t++) {
                long id = inputIds[b][t];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new InvalidArgumentException(
                            "token id " + id + " at row " + b + ", position " + t
                                    + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                }
                flat[b * seq + t] = id;
                padMask[b * seq + t] = attentionMask == null || attentionMask[b][t] != 0 ? 0f : MASK_MIN;
            }
        }
        int hidden = config.hiddenSize();
        // Token plus absolute position embeddings.
        // Lookups on the weights are attached to the caller's manager, so that everything computed
        // from them is too (DJL attaches a result to its first operand's manager).
        NDArray ids = manager.create(flat); // (batch * seq)
        NDArray tokens = tokenEmbedding.get(new NDIndex("{}", ids)); // (batch * seq, hidden)
        tokens.attach(manager);
        NDArray positions = positionEmbedding.get(new NDIndex("0:{}", seq)); // (seq, hidden)
        positions.attach(manager);
        NDArray h = tokens.reshape(batch, seq, hidden).add(positions); // (batch, seq, hidden)
        // Causal mask plus padding mask, additive, as HF adds both to the scores.
        NDArray mask = causalMask(manager, seq) // (1, 1, seq, seq)
                .add(manager.create(padMask, new Shape(batch, 1, 1, seq))); // (batch, 1, seq, seq)
        for (ClipEncoderLayer layer : layers) {
            h = layer.forward(h, mask); // (batch, seq, hidden)
        }
        NDArray last = finalLayerNorm.forward(h); // (batch, seq, hidden)
        // Pool at the end-of-text position of each row.
        long[] rows = new long[batch];
        for (int b = 0; b < batch; b++) {
            rows[b] = (long) b * seq + pooledPosition(inputIds[b]);
        }
        NDArray pooled = last.reshape(batch * (long) seq, hidden)
                .get(new NDIndex("{}", manager.create(rows))); // (batch, hidden)
        return new Output(last, pooled);
    }

    /**
     * The position whose hidden state is the pooled output, by the 4.45 rule.
     *
     * @param ids one row of ids
     * @return the position
     */
    public int pooledPosition(long[] ids) {
        int best = 0;
        if (config.eosTokenId() == LEGACY_EOS_TOKEN_ID) {
            for (int t = 1; t < ids.length; t++) {
                if (ids[t] > ids[best]) {
                    best = t;
                }
            }
            return best;
        }
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] == config.eosTokenId()) {
                return t;
            }
        }
        return 0;
    }

    private static NDArray causalMask(NDManager manager, int seq) {
        float[] values = new float[seq * seq];
        for (int i = 0; i < seq; i++) {
            for (int j = i + 1; j < seq; j++) {
                values[i * seq + j] = MASK_MIN;
            }
        }
        return manager.create(values, new Shape(1, 1, seq, seq));
    }

    /**
     * The text encoder's outputs.
     *
     * @param lastHiddenState {@code (batch, seq, hidden)} after {@code final_layer_norm}
     * @param pooledOutput {@code (batch, hidden)}
     */
    public record Output(NDArray lastHiddenState, NDArray pooledOutput) {}
}
