package org.vlalign.torch.internal.adaptor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.vlalign.Adaptor;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.Parameterized;

/**
 * What the adaptors on native weights share: the manager that owns the weights, their widths and
 * checkpoint keys, the width check and native round trip of {@link #adapt}, and closing once. A subclass
 * only says how it projects ({@link #project}).
 *
 * <p>Thread-safe: the weights are read-only and every call works in a sub-manager of its own.
 */
abstract class NativeAdaptor implements Adaptor, Parameterized {
    private final NDManager manager;
    private final int inputDim;
    private final int outputDim;
    private final NamedParameters parameters; // the weights by checkpoint key
    private final AtomicBoolean closed = new AtomicBoolean();

    NativeAdaptor(NDManager manager, int inputDim, int outputDim, NamedParameters parameters) {
        this.manager = manager;
        this.inputDim = inputDim;
        this.outputDim = outputDim;
        this.parameters = parameters;
    }

    /**
     * The weights by checkpoint key (see the class comment).
     *
     * @return the read-only view of the live weights
     * @since 0.2.0
     */
    @Override
    public final NamedParameters parameters() {
        return parameters;
    }

    /** The manager that owns the weights; for leak checks in tests. */
    final NDManager manager() {
        return manager;
    }

    @Override
    public final int inputDim() {
        return inputDim;
    }

    @Override
    public final int outputDim() {
        return outputDim;
    }

    /**
     * Projects native features; the result belongs to the input's manager.
     *
     * @param features {@code (..., inputDim)}
     * @return {@code (..., outputDim)}
     */
    public final NDArray forward(NDArray features) {
        if (closed.get()) {
            throw new IllegalStateException("this adaptor is closed");
        }
        return project(features);
    }

    /** The projection itself, on an open adaptor. */
    abstract NDArray project(NDArray features);

    @Override
    public final Features adapt(Features features) {
        if (features.cols() != inputDim) {
            throw new InvalidArgumentException("features have width " + features.cols() + " but this adaptor expects "
                    + inputDim + " (shape " + Arrays.toString(features.shape()) + ")");
        }
        try (NDManager call = manager.newSubManager()) {
            NDArray x = call.create(features.data(), new Shape(features.rows(), inputDim));
            return Features.of(forward(x).toFloatArray(), features.rows(), outputDim);
        }
    }

    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            manager.close();
        }
    }
}
