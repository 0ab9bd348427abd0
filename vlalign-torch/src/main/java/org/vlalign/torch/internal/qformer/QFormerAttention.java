package org.vlalign.torch.internal.qformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.List;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.NdArrays;

/**
 * A post-LayerNorm BERT attention block of the Q-Former ({@code Blip2QFormerAttention}): multi-head
 * attention, then {@code LayerNorm(dense(context) + input)}. Used both for self-attention and for the
 * queries' cross-attention to the vision states.
 *
 * <p>Immutable after loading and thread-safe.
 *
 * @since 0.1.0
 */
public final class QFormerAttention {
    static final String KEY = "%sencoder.layer.%d.%s.%s";

    private final QFormerConfig config;
    private final NDArray queryWeight; // (hidden, hidden)
    private final NDArray queryBias; // (hidden)
    private final NDArray keyWeight; // (hidden, kvWidth)
    private final NDArray keyBias; // (hidden)
    private final NDArray valueWeight; // (hidden, kvWidth)
    private final NDArray valueBias; // (hidden)
    private final NDArray outputDenseWeight; // (hidden, hidden)
    private final NDArray outputDenseBias; // (hidden)
    private final NDArray outputLayerNormWeight; // (hidden)
    private final NDArray outputLayerNormBias; // (hidden)

    private QFormerAttention(QFormerConfig config, NDArray[] w) {
        this.config = config;
        this.queryWeight = w[0];
        this.queryBias = w[1];
        this.keyWeight = w[2];
        this.keyBias = w[3];
        this.valueWeight = w[4];
        this.valueBias = w[5];
        this.outputDenseWeight = w[6];
        this.outputDenseBias = w[7];
        this.outputLayerNormWeight = w[8];
        this.outputLayerNormBias = w[9];
    }

    /**
     * Loads the block {@code attention} or {@code crossattention} of layer {@code index}.
     *
     * @param checkpoint the checkpoint
     * @param prefix the Q-Former key prefix, e.g. {@code qformer.}
     * @param index the layer index
     * @param block {@code attention} or {@code crossattention}
     * @param config the config
     * @param manager the model-level manager
     * @return the block
     */
    public static QFormerAttention load(
            TorchCheckpoint checkpoint,
            String prefix,
            int index,
            String block,
            QFormerConfig config,
            NDManager manager) {
        int h = config.hiddenSize();
        int kv = block.equals("crossattention") ? config.encoderHiddenSize() : h;
        NDArray[] w = {
            load(checkpoint, prefix, index, block, "attention.query.weight", manager, h, h),
            load(checkpoint, prefix, index, block, "attention.query.bias", manager, h),
            load(checkpoint, prefix, index, block, "attention.key.weight", manager, h, kv),
            load(checkpoint, prefix, index, block, "attention.key.bias", manager, h),
            load(checkpoint, prefix, index, block, "attention.value.weight", manager, h, kv),
            load(checkpoint, prefix, index, block, "attention.value.bias", manager, h),
            load(checkpoint, prefix, index, block, "output.dense.weight", manager, h, h),
            load(checkpoint, prefix, index, block, "output.dense.bias", manager, h),
            load(checkpoint, prefix, index, block, "output.LayerNorm.weight", manager, h),
            load(checkpoint, prefix, index, block, "output.LayerNorm.bias", manager, h),
        };
        return new QFormerAttention(config, w);
    }

    private static NDArray load(
            TorchCheckpoint c,
            String prefix,
            int index,
            String block,
            String suffix,
            NDManager m,
            long... shape) {
        return c.load(String.format(KEY, prefix, index, block, suffix), m, shape);
    }

    /**
     * Attends from {@code hidden} to {@code keyValue}, then applies the post-LN output block.
     *
     * @param hidden {@code (batch, seq, hidden)}
     * @param keyValue {@code (batch, kvSeq, kvWidth)}: {@code hidden} itself for self-attention
     * @param additiveMask {@code (batch, 1, 1, kvSeq)} of 0 / -10000, or null for no masking
     * @return {@code (batch, seq, hidden)}
     */
    public NDArray forward(NDArray hidden, NDArray keyValue, NDArray additiveMask) {
        return forward(hidden, keyValue, additiveMask, null);
    }

    /**
     * {@link #forward(NDArray, NDArray, NDArray)}, also handing out the attention probabilities.
     *
     * @param hidden {@code (batch, seq, hidden)}
     * @param keyValue {@code (batch, kvSeq, kvWidth)}
     * @param additiveMask {@code (batch, 1, 1, kvSeq)} of 0 / -10000, or null for no masking
     * @param probabilities if not null, receives the softmax probabilities averaged over heads, {@code (batch,
     *     seq, kvSeq)}, owned by the manager of the call's arrays
     * @return {@code (batch, seq, hidden)}
     * @since 0.2.0
     */
    public NDArray forward(NDArray hidden, NDArray keyValue, NDArray additiveMask, List<NDArray> probabilities) {
        long batch = hidden.getShape().get(0);
        long seq = hidden.getShape().get(1);
        long kvSeq = keyValue.getShape().get(1);
        int heads = config.numAttentionHeads();
        int headDim = config.headDim();
        // (batch, heads, seq, headDim)
        NDArray q = Linear.linear(hidden, queryWeight, queryBias).singletonOrThrow()
                .reshape(batch, seq, heads, headDim).transpose(0, 2, 1, 3);
        // (batch, heads, kvSeq, headDim)
        NDArray k = Linear.linear(keyValue, keyWeight, keyBias).singletonOrThrow()
                .reshape(batch, kvSeq, heads, headDim).transpose(0, 2, 1, 3);
        NDArray v = Linear.linear(keyValue, valueWeight, valueBias).singletonOrThrow()
                .reshape(batch, kvSeq, heads, headDim).transpose(0, 2, 1, 3);
        // scores divided by sqrt(head_dim) after the product, as BERT does: (batch, heads, seq, kvSeq)
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).div(NdArrays.scalar(q.getManager(), (float) Math.sqrt(headDim)));
        if (additiveMask != null) {
            scores = scores.add(additiveMask);
        }
        NDArray probs = scores.softmax(-1); // (batch, heads, seq, kvSeq)
        if (probabilities != null) {
            probabilities.add(probs.mean(new int[] {1})); // (batch, seq, kvSeq)
        }
        NDArray context = probs.matMul(v) // (batch, heads, seq, headDim)
                .transpose(0, 2, 1, 3).reshape(batch, seq, config.hiddenSize());
        NDArray dense = Linear.linear(context, outputDenseWeight, outputDenseBias).singletonOrThrow();
        return LayerNorm.layerNorm(
                        dense.add(hidden),
                        new Shape(config.hiddenSize()),
                        outputLayerNormWeight,
                        outputLayerNormBias,
                        (float) config.layerNormEps())
                .singletonOrThrow();
    }
}
