package org.vlalign.torch.internal.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.NdArrays;

/**
 * One pre-LayerNorm encoder layer of the BLIP vision transformer ({@code Blip2EncoderLayer}): {@code x +
 * attn(LN1(x))}, then {@code x + MLP(LN2(x))}, with one fused {@code qkv} projection and an exact-erf GELU MLP.
 *
 * <p>Immutable after loading and thread-safe.
 *
 * @since 0.1.0
 */
public final class VitEncoderLayer {
    static final String KEY = "%sencoder.layers.%d.%s";

    private final BlipVisionConfig config;
    private final NDArray layerNorm1Weight; // (hidden)
    private final NDArray layerNorm1Bias; // (hidden)
    private final NDArray qkvWeight; // (3 * hidden, hidden)
    private final NDArray qkvBias; // (3 * hidden) or null
    private final NDArray projectionWeight; // (hidden, hidden)
    private final NDArray projectionBias; // (hidden)
    private final NDArray layerNorm2Weight; // (hidden)
    private final NDArray layerNorm2Bias; // (hidden)
    private final NDArray fc1Weight; // (intermediate, hidden)
    private final NDArray fc1Bias; // (intermediate)
    private final NDArray fc2Weight; // (hidden, intermediate)
    private final NDArray fc2Bias; // (hidden)

    private VitEncoderLayer(BlipVisionConfig config, NDArray[] w) {
        this.config = config;
        this.layerNorm1Weight = w[0];
        this.layerNorm1Bias = w[1];
        this.qkvWeight = w[2];
        this.qkvBias = w[3];
        this.projectionWeight = w[4];
        this.projectionBias = w[5];
        this.layerNorm2Weight = w[6];
        this.layerNorm2Bias = w[7];
        this.fc1Weight = w[8];
        this.fc1Bias = w[9];
        this.fc2Weight = w[10];
        this.fc2Bias = w[11];
    }

    /**
     * Loads layer {@code index}.
     *
     * @param checkpoint the checkpoint
     * @param prefix the vision model's key prefix, e.g. {@code vision_model.}
     * @param index the layer index
     * @param config the vision config
     * @param manager the model-level manager that will own the weights
     * @return the layer
     */
    public static VitEncoderLayer load(
            TorchCheckpoint checkpoint,
            String prefix,
            int index,
            BlipVisionConfig config,
            NDManager manager) {
        int h = config.hiddenSize();
        int m = config.intermediateSize();
        String qkvBiasKey = String.format(KEY, prefix, index, "self_attn.qkv.bias");
        NDArray qkvBias =
                config.qkvBias() || checkpoint.has(qkvBiasKey)
                        ? checkpoint.load(qkvBiasKey, manager, 3L * h)
                        : null;
        NDArray[] w = {
            load(checkpoint, prefix, index, "layer_norm1.weight", manager, h),
            load(checkpoint, prefix, index, "layer_norm1.bias", manager, h),
            load(checkpoint, prefix, index, "self_attn.qkv.weight", manager, 3L * h, h),
            qkvBias,
            load(checkpoint, prefix, index, "self_attn.projection.weight", manager, h, h),
            load(checkpoint, prefix, index, "self_attn.projection.bias", manager, h),
            load(checkpoint, prefix, index, "layer_norm2.weight", manager, h),
            load(checkpoint, prefix, index, "layer_norm2.bias", manager, h),
            load(checkpoint, prefix, index, "mlp.fc1.weight", manager, m, h),
            load(checkpoint, prefix, index, "mlp.fc1.bias", manager, m),
            load(checkpoint, prefix, index, "mlp.fc2.weight", manager, h, m),
            load(checkpoint, prefix, index, "mlp.fc2.bias", manager, h),
        };
        return new VitEncoderLayer(config, w);
    }

    private static NDArray load(
            TorchCheckpoint c, String prefix, int index, String suffix, NDManager m, long... shape) {
        return c.load(String.format(KEY, prefix, index, suffix), m, shape);
    }

    /**
     * Runs the layer.
     *
     * @param hidden {@code (batch, seq, hidden)}; stays owned by its manager, which also owns the result (the
     *     layer's intermediates are freed when it returns)
     * @return {@code (batch, seq, hidden)}
     */
    public NDArray forward(NDArray hidden) {
        return NdArrays.inLayerScope(hidden, this::layer);
    }

    private NDArray layer(NDArray hidden) {
        Shape hs = hidden.getShape();
        long batch = hs.get(0);
        long seq = hs.get(1);
        int heads = config.numAttentionHeads();
        int headDim = config.headDim();
        float eps = (float) config.layerNormEps();
        Shape norm = new Shape(config.hiddenSize());

        // pre-LN self-attention
        NDArray x = LayerNorm.layerNorm(hidden, norm, layerNorm1Weight, layerNorm1Bias, eps)
                .singletonOrThrow(); // (batch, seq, hidden)
        NDArray qkv = (qkvBias == null
                        ? Linear.linear(x, qkvWeight)
                        : Linear.linear(x, qkvWeight, qkvBias))
                .singletonOrThrow(); // (batch, seq, 3 * hidden)
        // (3, batch, heads, seq, headDim)
        NDArray split = qkv.reshape(batch, seq, 3, heads, headDim).transpose(2, 0, 3, 1, 4);
        NDArray q = split.get(0); // (batch, heads, seq, headDim)
        NDArray k = split.get(1); // (batch, heads, seq, headDim)
        NDArray v = split.get(2); // (batch, heads, seq, headDim)
        // (batch, heads, seq, seq)
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(NdArrays.scalar(q.getManager(), (float) (1.0 / Math.sqrt(headDim))));
        NDArray context = scores.softmax(-1).matMul(v); // (batch, heads, seq, headDim)
        NDArray merged = context.transpose(0, 2, 1, 3).reshape(batch, seq, config.hiddenSize());
        NDArray attn = Linear.linear(merged, projectionWeight, projectionBias).singletonOrThrow();
        NDArray h1 = hidden.add(attn); // (batch, seq, hidden)

        // pre-LN MLP with exact GELU
        NDArray y = LayerNorm.layerNorm(h1, norm, layerNorm2Weight, layerNorm2Bias, eps)
                .singletonOrThrow(); // (batch, seq, hidden)
        NDArray inner = Activation.gelu(Linear.linear(y, fc1Weight, fc1Bias).singletonOrThrow());
        NDArray mlp = Linear.linear(inner, fc2Weight, fc2Bias).singletonOrThrow();
        return h1.add(mlp);
    }
}
