package org.vlalign.torch.internal.qformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import org.vlalign.CheckpointException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.NdArrays;

/**
 * The Q-Former ({@code Blip2QFormerModel} / {@code InstructBlipQFormerModel}): input LayerNorm over
 * {@code [query embeddings ; word + position embeddings of the text]}, then the layers.
 *
 * <p>The three Hugging Face layouts compute the same function and differ only in where the weights live:
 * <ul>
 *   <li>{@code Blip2Model} / {@code Blip2ForConditionalGeneration}: {@code qformer.layernorm}, no text
 *       embeddings;
 *   <li>InstructBLIP: {@code qformer.embeddings.{word_embeddings,position_embeddings,layernorm}};
 *   <li>{@code Blip2ForImageTextRetrieval}: {@code embeddings.{word_embeddings,position_embeddings}} (no
 *       LayerNorm of their own) and {@code qformer.layernorm}.
 * </ul>
 * {@link #load} finds whichever is present.
 *
 * <p>Immutable after loading and thread-safe.
 *
 * @since 0.1.0
 */
public final class QFormerModel {
    static final String INSTRUCT_EMBEDDINGS = "qformer.embeddings.";
    static final String RETRIEVAL_EMBEDDINGS = "embeddings.";
    static final String WORD_EMBEDDINGS = "%sword_embeddings.weight";
    static final String POSITION_EMBEDDINGS = "%sposition_embeddings.weight";
    static final String INSTRUCT_LAYERNORM = "qformer.embeddings.layernorm.%s";
    static final String QFORMER_LAYERNORM = "qformer.layernorm.%s";
    static final String LAYER_PREFIX = "qformer.";

    private final QFormerConfig config;
    private final NDArray wordEmbeddings; // (vocab, hidden) or null
    private final NDArray positionEmbeddings; // (maxPositions, hidden) or null
    private final NDArray layernormWeight; // (hidden)
    private final NDArray layernormBias; // (hidden)
    private final List<QFormerLayer> layers;

    private QFormerModel(
            QFormerConfig config,
            NDArray word,
            NDArray position,
            NDArray lnWeight,
            NDArray lnBias,
            List<QFormerLayer> layers) {
        this.config = config;
        this.wordEmbeddings = word;
        this.positionEmbeddings = position;
        this.layernormWeight = lnWeight;
        this.layernormBias = lnBias;
        this.layers = List.copyOf(layers);
    }

    /**
     * Loads the Q-Former of a BLIP-2 or InstructBLIP checkpoint, whichever layout it uses.
     *
     * @param checkpoint the checkpoint
     * @param config the config
     * @param manager the model-level manager
     * @return the model
     * @throws CheckpointException if no known layout's input LayerNorm is present
     */
    public static QFormerModel load(TorchCheckpoint checkpoint, QFormerConfig config, NDManager manager) {
        int h = config.hiddenSize();
        String ln;
        if (checkpoint.has(String.format(INSTRUCT_LAYERNORM, "weight"))) {
            ln = INSTRUCT_LAYERNORM;
        } else if (checkpoint.has(String.format(QFORMER_LAYERNORM, "weight"))) {
            ln = QFORMER_LAYERNORM;
        } else {
            throw new CheckpointException(
                    "The Q-Former input LayerNorm is missing in " + checkpoint.directory()
                            + ": expected '" + String.format(INSTRUCT_LAYERNORM, "weight")
                            + "' (InstructBLIP) or '" + String.format(QFORMER_LAYERNORM, "weight")
                            + "' (BLIP-2); is this a BLIP-2 / InstructBLIP checkpoint?");
        }
        NDArray word = null;
        NDArray position = null;
        for (String prefix : List.of(INSTRUCT_EMBEDDINGS, RETRIEVAL_EMBEDDINGS)) {
            String wordKey = String.format(WORD_EMBEDDINGS, prefix);
            if (checkpoint.has(wordKey)) {
                word = checkpoint.load(wordKey, manager, config.vocabSize(), h);
                position = checkpoint.load(
                        String.format(POSITION_EMBEDDINGS, prefix),
                        manager,
                        config.maxPositionEmbeddings(),
                        h);
                break;
            }
        }
        List<QFormerLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(QFormerLayer.load(checkpoint, LAYER_PREFIX, i, config, manager));
        }
        return new QFormerModel(
                config,
                word,
                position,
                checkpoint.load(String.format(ln, "weight"), manager, h),
                checkpoint.load(String.format(ln, "bias"), manager, h),
                layers);
    }

    /**
     * The config.
     *
     * @return the config
     */
    public QFormerConfig config() {
        return config;
    }

    /**
     * Whether this Q-Former can read text (it has word embeddings and text feed-forwards).
     *
     * @return true for InstructBLIP and retrieval checkpoints
     */
    public boolean acceptsText() {
        return wordEmbeddings != null && layers.stream().allMatch(QFormerLayer::acceptsText);
    }

    /**
     * Runs the Q-Former.
     *
     * @param manager the call's manager, which owns every array created here
     * @param queryEmbeds {@code (batch, queries, hidden)}, or null for text only
     * @param inputIds text ids, {@code [batch][textLength]}, right padded; or null for queries only
     * @param textMask 1 for real text positions, 0 for padding, same shape as {@code inputIds}; null means
     *     all ones
     * @param encoderHidden {@code (batch, patches + 1, visionHidden)} for cross-attention, or null (text
     *     only)
     * @return the last hidden state {@code (batch, queries + textLength, hidden)}
     * @throws InvalidArgumentException if the text is too long, has an id outside the vocabulary, or the
     *     checkpoint has no text embeddings
     */
    public NDArray forward(
            NDManager manager,
            NDArray queryEmbeds,
            long[][] inputIds,
            long[][] textMask,
            NDArray encoderHidden) {
        return run(manager, queryEmbeds, inputIds, textMask, encoderHidden, false, null);
    }

    /**
     * {@link #forward(NDManager, NDArray, long[][], long[][], NDArray)}, also handing out each cross-attending
     * layer's query-to-vision probabilities.
     *
     * @param manager the call's manager, which owns every array created here
     * @param queryEmbeds {@code (batch, queries, hidden)}
     * @param inputIds text ids, or null
     * @param textMask the text mask, or null
     * @param encoderHidden {@code (batch, patches + 1, visionHidden)}
     * @param crossAttention receives, per cross-attending layer in order, {@code (batch, queries, patches + 1)}
     *     probabilities averaged over heads
     * @return the last hidden state {@code (batch, queries + textLength, hidden)}
     * @since 0.2.0
     */
    public NDArray forward(NDManager manager, NDArray queryEmbeds, long[][] inputIds, long[][] textMask,
            NDArray encoderHidden, List<NDArray> crossAttention) {
        return run(manager, queryEmbeds, inputIds, textMask, encoderHidden, false, crossAttention);
    }

    /**
     * Runs the Q-Former with BLIP-2's image-grounded text generation mask: queries attend to queries only
     * (so their outputs are the image-only ones), text position {@code t} attends to every query and to
     * text positions {@code <= t}. With {@link #textLogits} this is BLIP-2's ITG objective.
     *
     * @param manager the call's manager, which owns every array created here
     * @param queryEmbeds {@code (batch, queries, hidden)}
     * @param inputIds text ids {@code [batch][textLength]}, right padded
     * @param textMask 1 for real text positions, 0 for padding, or null for all ones
     * @param encoderHidden {@code (batch, patches + 1, visionHidden)}
     * @return the last hidden state {@code (batch, queries + textLength, hidden)}
     * @throws InvalidArgumentException if the checkpoint cannot read text or the text is too long
     * @since 0.2.0
     */
    public NDArray forwardCaptioning(
            NDManager manager, NDArray queryEmbeds, long[][] inputIds, long[][] textMask, NDArray encoderHidden) {
        if (queryEmbeds == null || inputIds == null || inputIds.length == 0 || inputIds[0].length == 0) {
            throw new InvalidArgumentException("image-grounded text generation needs query embeddings and text");
        }
        return run(manager, queryEmbeds, inputIds, textMask, encoderHidden, true, null);
    }

    /**
     * Next-token logits of text hidden states through the word-embedding table (the tied decoder BLIP-2's
     * generation head ends in; retrieval checkpoints carry no separate head).
     *
     * @param hidden {@code (..., hidden)}; its manager owns the result
     * @return {@code (..., vocab)}
     * @throws InvalidArgumentException if the checkpoint has no word embeddings
     * @since 0.2.0
     */
    public NDArray textLogits(NDArray hidden) {
        if (wordEmbeddings == null) {
            throw new InvalidArgumentException("this Q-Former checkpoint has no word embeddings, so it cannot"
                    + " predict text; use a BLIP-2 retrieval checkpoint");
        }
        return NdArrays.linear(hidden, wordEmbeddings, null);
    }

    private NDArray run(
            NDManager manager,
            NDArray queryEmbeds,
            long[][] inputIds,
            long[][] textMask,
            NDArray encoderHidden,
            boolean causalText,
            List<NDArray> crossAttention) {
        int queryLength = queryEmbeds == null ? 0 : (int) queryEmbeds.getShape().get(1);
        NDArray embeddings = queryEmbeds; // (batch, queries + text, hidden)
        NDArray additiveMask = null; // (batch, 1, 1 or queries + text, queries + text)
        if (inputIds != null && inputIds.length > 0 && inputIds[0].length > 0) {
            NDArray text = embedText(manager, inputIds); // (batch, text, hidden)
            embeddings = embeddings == null ? text : embeddings.concat(text, 1);
            additiveMask = causalText
                    ? captioningMask(manager, queryLength, inputIds, textMask)
                    : additiveMask(manager, queryLength, inputIds, textMask);
        }
        if (embeddings == null) {
            throw new InvalidArgumentException("the Q-Former needs query embeddings or text ids");
        }
        NDArray hidden = LayerNorm.layerNorm(
                        embeddings,
                        new Shape(config.hiddenSize()),
                        layernormWeight,
                        layernormBias,
                        (float) config.layerNormEps())
                .singletonOrThrow();
        for (QFormerLayer layer : layers) {
            hidden = layer.forward(hidden, additiveMask, queryLength, encoderHidden, crossAttention);
        }
        return hidden;
    }

    private NDArray embedText(NDManager manager, long[][] ids) {
        if (wordEmbeddings == null) {
            throw new InvalidArgumentException(
                    "this Q-Former checkpoint has no word embeddings (a Blip2Model without"
                            + " use_qformer_text_input), so it cannot read text; use an InstructBLIP or"
                            + " BLIP-2 retrieval checkpoint");
        }
        int batch = ids.length;
        int length = ids[0].length;
        if (length > config.maxPositionEmbeddings()) {
            throw new InvalidArgumentException(
                    "the Q-Former text has " + length + " tokens but max_position_embeddings is "
                            + config.maxPositionEmbeddings() + "; shorten the text");
        }
        long[] flat = new long[batch * length];
        for (int b = 0; b < batch; b++) {
            if (ids[b].length != length) {
                throw new InvalidArgumentException(
                        "Q-Former text rows must be padded to one length: row 0 has " + length
                                + ", row " + b + " has " + ids[b].length);
            }
            for (int t = 0; t < length; t++) {
                long id = ids[b][t];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new InvalidArgumentException(
                            "Q-Former token id " + id + " at row " + b + ", position " + t
                                    + " is outside the vocabulary [0, " + config.vocabSize() + ")");
                }
                flat[b * length + t] = id;
            }
        }
        NDArray index = manager.create(flat); // (batch * text)
        // Lookups into the model's tables belong to the model's manager: hand them to the call's, or they and
        // everything computed from them would live as long as the model.
        NDArray words = NdArrays.own(wordEmbeddings.get(new NDIndex("{}", index)), manager) // (batch * text, hidden)
                .reshape(batch, length, config.hiddenSize());
        NDArray positions = NdArrays.own(positionEmbeddings.get(new NDIndex(":{}", length)), manager); // (text, hidden)
        return words.add(positions);
    }

    /** Queries see queries; text row t sees every query and the real text positions up to t. */
    private static NDArray captioningMask(NDManager manager, int queryLength, long[][] ids, long[][] textMask) {
        int batch = ids.length;
        int length = ids[0].length;
        int total = queryLength + length;
        float[] mask = new float[batch * total * total]; // (batch, 1, total, total)
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < total; i++) {
                for (int j = 0; j < total; j++) {
                    boolean visible;
                    if (j < queryLength) {
                        visible = true;
                    } else {
                        int t = j - queryLength;
                        boolean real = textMask == null || textMask[b][t] != 0;
                        visible = i >= queryLength && t <= i - queryLength && real;
                    }
                    mask[(b * total + i) * total + j] = visible ? 0f : -10000f; // BERT's masked value
                }
            }
        }
        return NdArrays.floats(manager, mask, batch, 1, total, total);
    }

    private static NDArray additiveMask(
            NDManager manager, int queryLength, long[][] ids, long[][] textMask) {
        int batch = ids.length;
        int length = ids[0].length;
        int total = queryLength + length;
        float[] mask = new float[batch * total];
        boolean any = false;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < length; t++) {
                long m = textMask == null ? 1 : textMask[b][t];
                if (m == 0) {
                    // BERT extended mask: (1 - mask) * -10000
                    mask[b * total + queryLength + t] = -10000f;
                    any = true;
                }
            }
        }
        return any ? manager.create(mask, new Shape(batch, 1, 1, total)) : null;
    }
}
