package org.vlalign.torch.internal.adaptor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * LLaVA-1.5's projector ({@code LlavaMultiModalProjector}): {@code linear_2(gelu(linear_1(x)))} with exact-erf
 * GELU.
 *
 * <p>Thread-safe: the weights are immutable (unless a trainer updates its {@link #parameters()} in place,
 * between calls) and each call works in its own sub-manager. {@link #close()} is idempotent.
 *
 * <pre>{@code
 * try (TorchCheckpoint ckpt = TorchCheckpoint.open(dir);
 *         MlpAdaptor projector = MlpAdaptor.load(ckpt, MlpAdaptor.MULTI_MODAL_PROJECTOR, "gelu")) {
 *     Features embeddings = projector.adapt(visionFeatures); // (576, 1024) -> (576, 4096)
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class MlpAdaptor extends NativeAdaptor {
    /** The LLaVA key prefix. */
    public static final String MULTI_MODAL_PROJECTOR = "multi_modal_projector.";

    static final String LINEAR_1 = "%slinear_1.%s";
    static final String LINEAR_2 = "%slinear_2.%s";

    private final NDArray linear1Weight; // (hidden, inputDim)
    private final NDArray linear1Bias; // (hidden)
    private final NDArray linear2Weight; // (outputDim, hidden)
    private final NDArray linear2Bias; // (outputDim)

    private MlpAdaptor(NDManager manager, NDArray w1, NDArray b1, NDArray w2, NDArray b2,
            NamedParameters parameters) {
        super(manager, (int) w1.getShape().get(1), (int) w2.getShape().get(0), parameters);
        this.linear1Weight = w1;
        this.linear1Bias = b1;
        this.linear2Weight = w2;
        this.linear2Bias = b2;
    }

    /**
     * Loads {@code <prefix>linear_1.*} and {@code <prefix>linear_2.*}.
     *
     * @param checkpoint the checkpoint
     * @param prefix the key prefix, e.g. {@link #MULTI_MODAL_PROJECTOR}
     * @param hiddenAct the activation ({@code projector_hidden_act}); only {@code gelu} is supported
     * @return the adaptor, which the caller must close
     * @throws UnsupportedModelException for another activation
     * @throws CheckpointException if the weights are missing or their shapes do not chain
     */
    public static MlpAdaptor load(TorchCheckpoint checkpoint, String prefix, String hiddenAct) {
        if (!"gelu".equals(hiddenAct)) {
            throw new UnsupportedModelException(
                    "projector_hidden_act '" + hiddenAct + "' is not supported; only 'gelu' (exact erf)");
        }
        String w1Key = String.format(LINEAR_1, prefix, "weight");
        String w2Key = String.format(LINEAR_2, prefix, "weight");
        TensorInfo i1 = checkpoint.info(w1Key);
        TensorInfo i2 = checkpoint.info(w2Key);
        long[] s1 = i1.shape();
        long[] s2 = i2.shape();
        if (s1.length != 2 || s2.length != 2 || s2[1] != s1[0]) {
            throw new CheckpointException(
                    "Projector weights do not chain: '" + w1Key + "' " + Arrays.toString(s1) + " and '"
                            + w2Key + "' " + Arrays.toString(s2) + " in " + i1.file()
                            + "; expected (hidden, input) and (output, hidden)");
        }
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            int mark = checkpoint.loadedCount();
            NDArray w1 = checkpoint.load(w1Key, manager, s1[0], s1[1]);
            NDArray b1 = checkpoint.load(String.format(LINEAR_1, prefix, "bias"), manager, s1[0]);
            NDArray w2 = checkpoint.load(w2Key, manager, s2[0], s2[1]);
            NDArray b2 = checkpoint.load(String.format(LINEAR_2, prefix, "bias"), manager, s2[0]);
            return new MlpAdaptor(manager, w1, b1, w2, b2, checkpoint.loadedSince(mark));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A projector from explicit values whose {@link #parameters()} carry a key prefix, e.g. {@link
     * #MULTI_MODAL_PROJECTOR}.
     *
     * @param prefix the key prefix, possibly empty
     * @param w1 {@code linear_1.weight}, row-major {@code (hidden, inputDim)}
     * @param b1 {@code linear_1.bias}, {@code (hidden)}
     * @param w2 {@code linear_2.weight}, row-major {@code (outputDim, hidden)}
     * @param b2 {@code linear_2.bias}, {@code (outputDim)}
     * @param inputDim the input width
     * @param hidden the inner width
     * @param outputDim the output width
     * @return the projector, which the caller must close
     * @throws InvalidArgumentException if a value count does not fit the widths
     * @since 0.2.0
     */
    public static MlpAdaptor of(String prefix, float[] w1, float[] b1, float[] w2, float[] b2, int inputDim,
            int hidden, int outputDim) {
        if (inputDim <= 0 || hidden <= 0 || outputDim <= 0 || w1.length != (long) hidden * inputDim
                || b1.length != hidden || w2.length != (long) outputDim * hidden || b2.length != outputDim) {
            throw new InvalidArgumentException("projector values do not fit input " + inputDim + ", hidden " + hidden
                    + ", output " + outputDim + ": linear_1 has " + w1.length + " + " + b1.length + " values,"
                    + " linear_2 " + w2.length + " + " + b2.length);
        }
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        Map<String, NDArray> byKey = new LinkedHashMap<>();
        NDArray a1 = NdArrays.floats(manager, w1, hidden, inputDim); // libtorch-owned: safe to train
        NDArray c1 = NdArrays.floats(manager, b1, hidden);
        NDArray a2 = NdArrays.floats(manager, w2, outputDim, hidden);
        NDArray c2 = NdArrays.floats(manager, b2, outputDim);
        byKey.put(String.format(LINEAR_1, prefix, "weight"), a1);
        byKey.put(String.format(LINEAR_1, prefix, "bias"), c1);
        byKey.put(String.format(LINEAR_2, prefix, "weight"), a2);
        byKey.put(String.format(LINEAR_2, prefix, "bias"), c2);
        return new MlpAdaptor(manager, a1, c1, a2, c2, NamedParameters.of(byKey));
    }

    @Override
    NDArray project(NDArray features) {
        NDArray hidden = Activation.gelu(
                Linear.linear(features, linear1Weight, linear1Bias).singletonOrThrow());
        return Linear.linear(hidden, linear2Weight, linear2Bias).singletonOrThrow();
    }

    @Override
    public String toString() {
        return "MlpAdaptor[" + inputDim() + " -> " + linear1Weight.getShape().get(0) + " -> " + outputDim()
                + "]";
    }
}
