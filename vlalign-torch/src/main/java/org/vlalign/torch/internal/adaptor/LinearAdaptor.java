package org.vlalign.torch.internal.adaptor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import org.vlalign.Adaptor;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * A linear adaptor {@code y = x W^T + b}: InstructBLIP's {@code language_projection}, and the reference
 * system's trained 768→4096 projection.
 *
 * <p>Thread-safe: the weights are immutable and each call works in its own sub-manager. {@link #close()}
 * releases the weights and is idempotent.
 *
 * <pre>{@code
 * try (LinearAdaptor adaptor = LinearAdaptor.load(Path.of("adaptor.safetensors"))) {
 *     Features embeddings = adaptor.adapt(features); // (32, 768) -> (32, 4096)
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class LinearAdaptor implements Adaptor {
    /** The InstructBLIP / BLIP-2 key prefix. */
    public static final String LANGUAGE_PROJECTION = "language_projection.";

    static final String WEIGHT = "%sweight";
    static final String BIAS = "%sbias";

    private final NDManager manager;
    private final NDArray weight; // (outputDim, inputDim)
    private final NDArray bias; // (outputDim) or null
    private final int inputDim;
    private final int outputDim;
    private final AtomicBoolean closed = new AtomicBoolean();

    private LinearAdaptor(NDManager manager, NDArray weight, NDArray bias) {
        this.manager = manager;
        this.weight = weight;
        this.bias = bias;
        this.outputDim = (int) weight.getShape().get(0);
        this.inputDim = (int) weight.getShape().get(1);
    }

    /**
     * Loads from a checkpoint folder ({@code language_projection.*}) or a standalone safetensors file (keys
     * {@code weight}/{@code bias} or {@code language_projection.*}).
     *
     * @param path a folder or a {@code .safetensors} file
     * @return the adaptor, which the caller must close
     * @throws CheckpointException if the weights are missing or malformed
     */
    public static LinearAdaptor load(Path path) {
        try (TorchCheckpoint checkpoint =
                Files.isDirectory(path) ? TorchCheckpoint.open(path) : TorchCheckpoint.openFile(path)) {
            if (checkpoint.has(String.format(WEIGHT, LANGUAGE_PROJECTION))) {
                return load(checkpoint, LANGUAGE_PROJECTION);
            }
            if (checkpoint.has(String.format(WEIGHT, ""))) {
                return load(checkpoint, "");
            }
            throw new CheckpointException(
                    "No linear adaptor weights in " + path + ": expected 'weight' (+ 'bias') or '"
                            + LANGUAGE_PROJECTION + "weight' (+ bias); found " + checkpoint.tensorNames());
        }
    }

    /**
     * Loads {@code <prefix>weight} and, if present, {@code <prefix>bias} from an open checkpoint.
     *
     * @param checkpoint the checkpoint
     * @param prefix the key prefix, e.g. {@link #LANGUAGE_PROJECTION} or empty
     * @return the adaptor, which the caller must close
     * @throws CheckpointException if the weight is missing or not a matrix, or the bias does not match
     */
    public static LinearAdaptor load(TorchCheckpoint checkpoint, String prefix) {
        String weightKey = String.format(WEIGHT, prefix);
        TensorInfo info = checkpoint.info(weightKey);
        long[] shape = info.shape();
        if (shape.length != 2) {
            throw new CheckpointException(
                    "Adaptor weight '" + weightKey + "' in " + info.file() + " has shape "
                            + java.util.Arrays.toString(shape) + " but must be (output, input)");
        }
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            NDArray weight = checkpoint.load(weightKey, manager, shape[0], shape[1]);
            String biasKey = String.format(BIAS, prefix);
            NDArray bias = checkpoint.has(biasKey) ? checkpoint.load(biasKey, manager, shape[0]) : null;
            return new LinearAdaptor(manager, weight, bias);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * An adaptor from explicit values (e.g. freshly trained or for tests).
     *
     * @param weight row-major {@code (outputDim, inputDim)}
     * @param bias {@code (outputDim)}, or null for none
     * @param inputDim the input width
     * @param outputDim the output width
     * @return the adaptor, which the caller must close
     */
    public static LinearAdaptor of(float[] weight, float[] bias, int inputDim, int outputDim) {
        if (inputDim <= 0 || outputDim <= 0 || weight.length != (long) inputDim * outputDim) {
            throw new InvalidArgumentException(
                    "weight has " + weight.length + " values but (outputDim " + outputDim
                            + ") x (inputDim " + inputDim + ") were declared");
        }
        if (bias != null && bias.length != outputDim) {
            throw new InvalidArgumentException(
                    "bias has " + bias.length + " values but outputDim is " + outputDim);
        }
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        NDArray w = manager.create(weight, new Shape(outputDim, inputDim));
        NDArray b = bias == null ? null : manager.create(bias, new Shape(outputDim));
        return new LinearAdaptor(manager, w, b);
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
        checkOpen();
        return (bias == null ? Linear.linear(features, weight) : Linear.linear(features, weight, bias))
                .singletonOrThrow();
    }

    @Override
    public Features adapt(Features features) {
        if (features.cols() != inputDim) {
            throw new InvalidArgumentException(
                    "features have width " + features.cols() + " but this adaptor expects " + inputDim
                            + " (shape " + java.util.Arrays.toString(features.shape()) + ")");
        }
        checkOpen();
        try (NDManager call = manager.newSubManager()) {
            NDArray x = call.create(features.data(), new Shape(features.rows(), inputDim));
            float[] out = forward(x).toFloatArray(); // (rows, outputDim)
            return Features.of(out, features.rows(), outputDim);
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("this adaptor is closed");
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
        return "LinearAdaptor[" + inputDim + " -> " + outputDim + (bias == null ? ", no bias]" : "]");
    }
}
