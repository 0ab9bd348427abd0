package org.vlalign.core.compose;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.vlalign.Adaptor;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;

/**
 * An engine-free {@link Adaptor}: a seeded linear map {@code y = W x + b}, or a two-layer GELU
 * (tanh approximation) MLP like LLaVA-1.5's projector. Thread-safe.
 *
 * @since 0.1.0
 */
public final class FakeAdaptor implements Adaptor {
    private final int inputDim;
    private final int outputDim;
    private final boolean mlp;
    private final float[] w1; // (mid, in) for the MLP, (out, in) for linear
    private final float[] b1;
    private final float[] w2; // (out, out), MLP only
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile RuntimeException closeFailure;

    private FakeAdaptor(int inputDim, int outputDim, boolean mlp, long seed) {
        this.inputDim = inputDim;
        this.outputDim = outputDim;
        this.mlp = mlp;
        SplittableRandom random = new SplittableRandom(seed);
        w1 = randoms(outputDim * inputDim, random, 1.0 / Math.sqrt(inputDim));
        b1 = randoms(outputDim, random, 0.1);
        w2 = mlp ? randoms(outputDim * outputDim, random, 1.0 / Math.sqrt(outputDim)) : null;
    }

    /**
     * A linear adaptor, like the reference system's 768→4096 projection.
     *
     * @param inputDim the input width
     * @param outputDim the output width
     * @param seed the weight seed
     * @return the adaptor
     */
    public static FakeAdaptor linear(int inputDim, int outputDim, long seed) {
        return new FakeAdaptor(inputDim, outputDim, false, seed);
    }

    /**
     * A two-layer GELU MLP, like LLaVA-1.5's projector.
     *
     * @param inputDim the input width
     * @param outputDim the output width
     * @param seed the weight seed
     * @return the adaptor
     */
    public static FakeAdaptor mlp(int inputDim, int outputDim, long seed) {
        return new FakeAdaptor(inputDim, outputDim, true, seed);
    }

    private static float[] randoms(int n, SplittableRandom random, double scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return out;
    }

    /**
     * Makes {@link #close()} throw, after marking the adaptor closed, as a native release that fails.
     *
     * @param failure what close throws
     * @return this adaptor
     */
    public FakeAdaptor failOnClose(RuntimeException failure) {
        this.closeFailure = failure;
        return this;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public int inputDim() {
        return inputDim;
    }

    @Override
    public int outputDim() {
        return outputDim;
    }

    @Override
    public Features adapt(Features features) {
        if (features.shape().length != 2 || features.cols() != inputDim) {
            throw new InvalidArgumentException(
                    "features have width " + features.cols() + " but this adaptor accepts " + inputDim);
        }
        int rows = features.rows();
        float[] in = features.data(); // (rows, in)
        float[] out = new float[rows * outputDim]; // (rows, out)
        for (int r = 0; r < rows; r++) {
            float[] mid = new float[outputDim];
            for (int o = 0; o < outputDim; o++) {
                double sum = b1[o];
                for (int i = 0; i < inputDim; i++) {
                    sum += w1[o * inputDim + i] * in[r * inputDim + i];
                }
                mid[o] = (float) (mlp ? gelu(sum) : sum);
            }
            if (mlp) {
                for (int o = 0; o < outputDim; o++) {
                    double sum = 0;
                    for (int i = 0; i < outputDim; i++) {
                        sum += w2[o * outputDim + i] * mid[i];
                    }
                    out[r * outputDim + o] = (float) sum;
                }
            } else {
                System.arraycopy(mid, 0, out, r * outputDim, outputDim);
            }
        }
        return Features.of(out, rows, outputDim);
    }

    private static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    @Override
    public void close() {
        closed.set(true);
        if (closeFailure != null) {
            throw closeFailure;
        }
    }

    @Override
    public String toString() {
        return (mlp ? "fake-mlp " : "fake-linear ") + inputDim + "->" + outputDim;
    }
}
