package org.vlalign.model.recipe;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlalign.torch.train.AdamW;

/**
 * AdamW (PyTorch's update rule and defaults, see {@link AdamW}) that updates a model's own weight arrays
 * in place, for weights a model class owns and cannot swap (see {@code WeightBinding}). Gradients are
 * clipped to a global norm first and zeroed after the update.
 *
 * <p>Not thread-safe. The moments live in a manager this optimiser owns; {@link #close} releases them.
 *
 * @since 0.1.0
 */
final class InPlaceAdamW implements AutoCloseable {
    private final Map<String, NDArray> parameters;
    private final AdamW.Options options;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>(); // name -> (parameter shape)
    private final Map<String, NDArray> v = new LinkedHashMap<>(); // name -> (parameter shape)
    private long step;

    /**
     * Creates the optimiser and enables gradients on every parameter.
     *
     * @param parameters the arrays to train, by name
     * @param options β₁, β₂, ε and weight decay
     */
    public InPlaceAdamW(Map<String, NDArray> parameters, AdamW.Options options) {
        this.parameters = new LinkedHashMap<>(parameters);
        this.options = options;
        NDArray any = parameters.values().iterator().next();
        this.manager = NDManager.newBaseManager(any.getDevice(), "PyTorch");
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            m.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            v.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            e.getValue().setRequiresGradient(true);
        }
    }

    /**
     * The updates done so far.
     *
     * @return the step count
     */
    public long step() {
        return step;
    }

    /**
     * Clips the accumulated gradients to {@code maxGradNorm} (if positive), applies one AdamW update at
     * learning rate {@code lr} and zeroes the gradients.
     *
     * @param lr the learning rate
     * @param maxGradNorm the global L2 norm bound, or 0 for none
     * @return the gradient norm before clipping
     */
    public double update(double lr, double maxGradNorm) {
        step++;
        try (NDManager tmp = manager.newSubManager()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            double sq = 0;
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                NDArray g = e.getValue().getGradient(); // (parameter shape), a handle on the shared gradient
                g.attach(tmp);
                grads.put(e.getKey(), g);
                sq += g.square().sum().getFloat();
            }
            double norm = Math.sqrt(sq);
            double scale = maxGradNorm > 0 && norm > maxGradNorm ? maxGradNorm / (norm + 1e-6) : 1.0;
            double b1 = options.beta1();
            double b2 = options.beta2();
            double bias1 = 1 - Math.pow(b1, step);
            double bias2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                String name = e.getKey();
                NDArray p = e.getValue();
                NDArray g = grads.get(name).mul(scale); // (parameter shape)
                NDArray mi = m.get(name);
                NDArray vi = v.get(name);
                mi.muli(b1).addi(g.mul(1 - b1));
                vi.muli(b2).addi(g.square().muli(1 - b2));
                NDArray denom = vi.sqrt().divi(bias2Sqrt).addi(options.eps());
                NDArray delta = mi.div(denom).muli(lr / bias1); // (parameter shape)
                delta.attach(tmp);
                denom.attach(tmp);
                p.setRequiresGradient(false);
                p.muli(1 - lr * options.weightDecay()).subi(delta);
                p.setRequiresGradient(true);
            }
            for (NDArray g : grads.values()) {
                g.subi(g);
            }
            return norm;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
