package org.vlalign.torch.internal.clip;

import ai.djl.ndarray.NDArray;
import org.vlalign.torch.internal.NdArrays;

/**
 * The feed-forward block of a CLIP encoder layer: {@code fc2(act(fc1(x)))}.
 *
 * <p>Immutable after construction; thread-safe.
 *
 * @since 0.1.0
 */
public final class ClipMlp {
    private static final String FC1 = "fc1.";
    private static final String FC2 = "fc2.";

    private final ClipActivation activation;
    private final NDArray fc1Weight; // (intermediate, hidden)
    private final NDArray fc1Bias; // (intermediate)
    private final NDArray fc2Weight; // (hidden, intermediate)
    private final NDArray fc2Bias; // (hidden)

    /**
     * Loads the weights below {@code mlp.}.
     *
     * @param weights the layer's {@code mlp.} view
     * @param hidden the width
     * @param intermediate the inner width
     * @param activation the activation
     */
    public ClipMlp(ClipWeights weights, int hidden, int intermediate, ClipActivation activation) {
        this.activation = activation;
        this.fc1Weight = weights.loadMatrix(FC1 + "weight", intermediate, hidden);
        this.fc1Bias = weights.load(FC1 + "bias", intermediate);
        this.fc2Weight = weights.loadMatrix(FC2 + "weight", hidden, intermediate);
        this.fc2Bias = weights.load(FC2 + "bias", hidden);
    }

    /**
     * Applies the block.
     *
     * @param x {@code (batch, seq, hidden)}
     * @return {@code (batch, seq, hidden)}
     */
    public NDArray forward(NDArray x) {
        NDArray inner = activation.apply(
                NdArrays.linear(x, fc1Weight, fc1Bias)); // (batch, seq, intermediate)
        return NdArrays.linear(inner, fc2Weight, fc2Bias);
    }
}
