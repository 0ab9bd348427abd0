package org.vlalign.torch.internal.adaptor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlalign.Adaptor;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * A linear adaptor {@code y = x W^T + b}: InstructBLIP's {@code language_projection}, and the reference
 * system's trained 768→4096 projection.
 *
 * <p>Thread-safe: the weights are immutable (unless a trainer updates its {@link #parameters()} in place,
 * between calls) and each call works in its own sub-manager. {@link #close()} releases the weights and is
 * idempotent.
 *
 * <pre>{@code
 * try (LinearAdaptor adaptor = LinearAdaptor.load(Path.of("adaptor.safetensors"))) {
 *     Features embeddings = adaptor.adapt(features); // (32, 768) -> (32, 4096)
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class LinearAdaptor extends NativeAdaptor {
    /** The InstructBLIP / BLIP-2 key prefix. */
    public static final String LANGUAGE_PROJECTION = "language_projection.";

    static final String WEIGHT = "%sweight";
    static final String BIAS = "%sbias";

    private final NDArray weight; // (outputDim, inputDim)
    private final NDArray bias; // (outputDim) or null

    private LinearAdaptor(NDManager manager, NDArray weight, NDArray bias, NamedParameters parameters) {
        super(manager, (int) weight.getShape().get(1), (int) weight.getShape().get(0), parameters);
        this.weight = weight;
        this.bias = bias;
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
            int mark = checkpoint.loadedCount();
            NDArray weight = checkpoint.load(weightKey, manager, shape[0], shape[1]);
            String biasKey = String.format(BIAS, prefix);
            NDArray bias = checkpoint.has(biasKey) ? checkpoint.load(biasKey, manager, shape[0]) : null;
            return new LinearAdaptor(manager, weight, bias, checkpoint.loadedSince(mark));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * An adaptor from explicit values (e.g. freshly trained or for tests), with unprefixed keys
     * ({@code weight}, {@code bias}).
     *
     * @param weight row-major {@code (outputDim, inputDim)}
     * @param bias {@code (outputDim)}, or null for none
     * @param inputDim the input width
     * @param outputDim the output width
     * @return the adaptor, which the caller must close
     */
    public static LinearAdaptor of(float[] weight, float[] bias, int inputDim, int outputDim) {
        return of("", weight, bias, inputDim, outputDim);
    }

    /**
     * An adaptor from explicit values whose {@link #parameters()} carry a key prefix, e.g. {@link
     * #LANGUAGE_PROJECTION} for an adaptor that will be saved where InstructBLIP keeps it.
     *
     * @param prefix the key prefix, possibly empty
     * @param weight row-major {@code (outputDim, inputDim)}
     * @param bias {@code (outputDim)}, or null for none
     * @param inputDim the input width
     * @param outputDim the output width
     * @return the adaptor, which the caller must close
     * @since 0.2.0
     */
    public static LinearAdaptor of(String prefix, float[] weight, float[] bias, int inputDim, int outputDim) {
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
        Map<String, NDArray> byKey = new LinkedHashMap<>();
        NDArray w = NdArrays.floats(manager, weight, outputDim, inputDim); // libtorch-owned: safe to train
        byKey.put(String.format(WEIGHT, prefix), w);
        NDArray b = bias == null ? null : NdArrays.floats(manager, bias, outputDim);
        if (b != null) {
            byKey.put(String.format(BIAS, prefix), b);
        }
        return new LinearAdaptor(manager, w, b, NamedParameters.of(byKey));
    }

    @Override
    NDArray project(NDArray features) {
        return (bias == null ? Linear.linear(features, weight) : Linear.linear(features, weight, bias))
                .singletonOrThrow();
    }

    @Override
    public String toString() {
        return "LinearAdaptor[" + inputDim() + " -> " + outputDim() + (bias == null ? ", no bias]" : "]");
    }
}
