package org.vlalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.train.spi.TrainingObjective;

/**
 * A loss whose gradient is known in closed form: example {@code x} costs {@code w·x}, so the step's
 * gradient is the mean of its examples. Its one parameter is its own ({@code toy.w}), not a checkpoint's:
 * the kind of extra parameter an adapter objective brings.
 */
final class LinearToyObjective implements TrainingObjective<float[]> {
    static final String KEY = "toy.w";

    private final NDManager manager = NDManager.newBaseManager();
    private final NDArray w; // (dim)
    private final NamedParameters parameters;

    LinearToyObjective(float[] initial) {
        this.w = NdArrays.floats(manager, initial, initial.length);
        this.parameters = NamedParameters.of(Map.of(KEY, w));
    }

    @Override
    public String name() {
        return "linear-toy";
    }

    @Override
    public NamedParameters parameters() {
        return parameters;
    }

    @Override
    public double weight(float[] example) {
        return 1;
    }

    @Override
    public NDArray loss(NDManager scope, List<float[]> examples) {
        int n = (int) w.size();
        float[] x = new float[examples.size() * n];
        for (int i = 0; i < examples.size(); i++) {
            System.arraycopy(examples.get(i), 0, x, i * n, n);
        }
        NDArray xs = NdArrays.floats(scope, x, examples.size(), n); // (batch, dim)
        return xs.mul(w).sum(); // () Σ over examples of w·x; xs first, so results land in the scope
    }

    float[] values() {
        return w.toFloatArray();
    }

    int arrays() {
        return ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
