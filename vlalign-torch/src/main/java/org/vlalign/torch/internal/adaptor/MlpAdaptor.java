package org.vlalign.torch.internal.adaptor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.vlalign.Adaptor;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * LLaVA-1.5's projector ({@code LlavaMultiModalProjector}): {@code linear_2(gelu(linear_1(x)))} with exact-erf
 * GELU.
 *
 * <p>Thread-safe: the weights are immutable and each call works in its own sub-manager. {@link #close()} is
 * idempotent.
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
public final class MlpAdaptor implements Adaptor {
    /** The LLaVA key prefix. */
    public static final String MULTI_MODAL_PROJECTOR = "multi_modal_projector.";

    static final String LINEAR_1 = "%slinear_1.%s";
    static final String LINEAR_2 = "%slinear_2.%s";

    private final NDManager manager;
    private final NDArray linear1Weight; // (hidden, inputDim)
    private final NDArray linear1Bias; // (hidden)
    private final NDArray linear2Weight; // (outputDim, hidden)
    private final NDArray linear2Bias; // (outputDim)
    private final int inputDim;
    private final int outputDim;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MlpAdaptor(NDManager manager, NDArray w1, NDArray b1, NDArray w2, NDArray b2) {
        this.manager = manager;
        this.linear1Weight = w1;
        this.linear1Bias = b1;
        this.linear2Weight = w2;
        this.linear2Bias = b2;
        this.inputDim = (int) w1.getShape().get(1);
        this.outputDim = (int) w2.getShape().get(0);
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
            return new MlpAdaptor(
                    manager,
                    checkpoint.load(w1Key, manager, s1[0], s1[1]),
                    checkpoint.load(String.format(LINEAR_1, prefix, "bias"), manager, s1[0]),
                    checkpoint.load(w2Key, manager, s2[0], s2[1]),
                    checkpoint.load(String.format(LINEAR_2, prefix, "bias"), manager, s2[0]));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The manager that owns the weights; for leak checks in tests. */
    NDManager manager() {
        return manager;
    }

    @Override
    public int inputDim() {
        return inputDim;
    }

    @Override
    public int outputDim() {
        return outputDim;
    }

    /**
     * Projects native features; the result belongs to the input's manager.
     *
     * @param features {@code (..., inputDim)}
     * @return {@code (..., outputDim)}
     */
    public NDArray forward(NDArray features) {
        if (closed.get()) {
            throw new IllegalStateException("this adaptor is closed");
        }
        NDArray hidden = Activation.gelu(
                Linear.linear(features, linear1Weight, linear1Bias).singletonOrThrow());
        return Linear.linear(hidden, linear2Weight, linear2Bias).singletonOrThrow();
    }

    @Override
    public Features adapt(Features features) {
        if (features.cols() != inputDim) {
            throw new InvalidArgumentException(
                    "features have width " + features.cols() + " but this projector expects " + inputDim
                            + " (shape " + Arrays.toString(features.shape()) + ")");
        }
        try (NDManager call = manager.newSubManager()) {
            NDArray x = call.create(features.data(), new Shape(features.rows(), inputDim));
            return Features.of(forward(x).toFloatArray(), features.rows(), outputDim);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            manager.close();
        }
    }

    @Override
    public String toString() {
        return "MlpAdaptor[" + inputDim + " -> " + linear1Weight.getShape().get(0) + " -> " + outputDim
                + "]";
    }
}
