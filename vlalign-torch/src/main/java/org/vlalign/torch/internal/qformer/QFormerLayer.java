package org.vlalign.torch.internal.qformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.List;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;

/**
 * One Q-Former layer ({@code Blip2QFormerLayer}): self-attention over queries and text, then for the query rows
 * cross-attention to the vision states (in layers with {@code index % cross_attention_frequency == 0}) and the
 * query feed-forward ({@code intermediate_query}/{@code output_query}); text rows use the text feed-forward
 * ({@code intermediate}/{@code output}). Every block is post-LayerNorm.
 *
 * <p>Immutable after loading and thread-safe.
 *
 * @since 0.1.0
 */
public final class QFormerLayer {
    static final String FFN_KEY = "%sencoder.layer.%d.%s.%s";

    /** A BERT feed-forward block: {@code LayerNorm(dense2(gelu(dense1(x))) + x)}. */
    private record FeedForward(
            NDArray intermediateWeight, // (intermediate, hidden)
            NDArray intermediateBias, // (intermediate)
            NDArray outputWeight, // (hidden, intermediate)
            NDArray outputBias, // (hidden)
            NDArray layerNormWeight, // (hidden)
            NDArray layerNormBias, // (hidden)
            float eps) {

        NDArray forward(NDArray x) {
            NDArray inner = Activation.gelu(
                    Linear.linear(x, intermediateWeight, intermediateBias).singletonOrThrow());
            NDArray out = Linear.linear(inner, outputWeight, outputBias).singletonOrThrow();
            return LayerNorm.layerNorm(
                            out.add(x),
                            new Shape(layerNormWeight.getShape().get(0)),
                            layerNormWeight,
                            layerNormBias,
                            eps)
                    .singletonOrThrow();
        }
    }

    private final int index;
    private final QFormerAttention attention;
    private final QFormerAttention crossattention; // null when this layer has none
    private final FeedForward query; // intermediate_query / output_query
    private final FeedForward text; // intermediate / output, null without text input

    private QFormerLayer(
            int index,
            QFormerAttention attention,
            QFormerAttention crossattention,
            FeedForward query,
            FeedForward text) {
        this.index = index;
        this.attention = attention;
        this.crossattention = crossattention;
        this.query = query;
        this.text = text;
    }

    /**
     * Loads layer {@code index}.
     *
     * @param checkpoint the checkpoint
     * @param prefix the Q-Former key prefix, e.g. {@code qformer.}
     * @param index the layer index
     * @param config the config
     * @param manager the model-level manager
     * @return the layer
     */
    public static QFormerLayer load(
            TorchCheckpoint checkpoint, String prefix, int index, QFormerConfig config, NDManager manager) {
        QFormerAttention self =
                QFormerAttention.load(checkpoint, prefix, index, "attention", config, manager);
        QFormerAttention cross =
                config.hasCrossAttention(index)
                        ? QFormerAttention.load(
                                checkpoint, prefix, index, "crossattention", config, manager)
                        : null;
        FeedForward query =
                feedForward(checkpoint, prefix, index, "intermediate_query", "output_query", config,
                        manager);
        boolean hasText =
                config.useQformerTextInput()
                        || checkpoint.has(
                                String.format(FFN_KEY, prefix, index, "intermediate", "dense.weight"));
        FeedForward text =
                hasText
                        ? feedForward(checkpoint, prefix, index, "intermediate", "output", config,
                                manager)
                        : null;
        return new QFormerLayer(index, self, cross, query, text);
    }

    private static FeedForward feedForward(
            TorchCheckpoint c,
            String prefix,
            int index,
            String intermediate,
            String output,
            QFormerConfig config,
            NDManager m) {
        int h = config.hiddenSize();
        int f = config.intermediateSize();
        return new FeedForward(
                c.load(String.format(FFN_KEY, prefix, index, intermediate, "dense.weight"), m, f, h),
                c.load(String.format(FFN_KEY, prefix, index, intermediate, "dense.bias"), m, f),
                c.load(String.format(FFN_KEY, prefix, index, output, "dense.weight"), m, h, f),
                c.load(String.format(FFN_KEY, prefix, index, output, "dense.bias"), m, h),
                c.load(String.format(FFN_KEY, prefix, index, output, "LayerNorm.weight"), m, h),
                c.load(String.format(FFN_KEY, prefix, index, output, "LayerNorm.bias"), m, h),
                (float) config.layerNormEps());
    }

    /**
     * Whether this layer can process text rows.
     *
     * @return true if it has the text feed-forward
     */
    public boolean acceptsText() {
        return text != null;
    }

    /**
     * Runs the layer.
     *
     * @param hidden {@code (batch, queryLength + textLength, hidden)}: query rows first
     * @param additiveMask {@code (batch, 1, 1, queryLength + textLength)} of 0 / -10000, or null
     * @param queryLength the number of query rows (0 for text only)
     * @param encoderHidden {@code (batch, patches + 1, visionHidden)}, needed when there are query rows and
     *     this layer has cross-attention
     * @return {@code (batch, queryLength + textLength, hidden)}
     */
    public NDArray forward(
            NDArray hidden, NDArray additiveMask, int queryLength, NDArray encoderHidden) {
        return forward(hidden, additiveMask, queryLength, encoderHidden, null);
    }

    /**
     * {@link #forward(NDArray, NDArray, int, NDArray)}, also handing out the queries' cross-attention.
     *
     * @param hidden {@code (batch, queryLength + textLength, hidden)}: query rows first
     * @param additiveMask {@code (batch, 1, 1, queryLength + textLength)} of 0 / -10000, or null
     * @param queryLength the number of query rows (0 for text only)
     * @param encoderHidden {@code (batch, patches + 1, visionHidden)}
     * @param crossAttention if not null and this layer cross-attends, receives the queries' probabilities over
     *     the vision positions averaged over heads, {@code (batch, queryLength, patches + 1)}
     * @return {@code (batch, queryLength + textLength, hidden)}
     * @since 0.2.0
     */
    public NDArray forward(NDArray hidden, NDArray additiveMask, int queryLength, NDArray encoderHidden,
            List<NDArray> crossAttention) {
        long seq = hidden.getShape().get(1);
        NDArray attended = attention.forward(hidden, hidden, additiveMask); // (batch, seq, hidden)
        if (queryLength == 0) {
            return textFeedForward(attended);
        }
        NDArray queries =
                queryLength == seq ? attended : attended.get(":, :{}, :", queryLength);
        if (crossattention != null) {
            if (encoderHidden == null) {
                throw new InvalidArgumentException(
                        "Q-Former layer " + index + " cross-attends to the image but no vision states"
                                + " were given");
            }
            // the vision mask is all ones, so no additive mask
            queries = crossattention.forward(queries, encoderHidden, null, crossAttention); // (batch, query, hidden)
        }
        NDArray out = query.forward(queries); // (batch, query, hidden)
        if (queryLength < seq) {
            NDArray texts = textFeedForward(attended.get(":, {}:, :", queryLength));
            out = out.concat(texts, 1);
        }
        return out;
    }

    private NDArray textFeedForward(NDArray rows) {
        if (text == null) {
            throw new InvalidArgumentException(
                    "Q-Former layer " + index + " has no text feed-forward (use_qformer_text_input is"
                            + " false for this checkpoint), so it cannot process text rows");
        }
        return text.forward(rows);
    }
}
