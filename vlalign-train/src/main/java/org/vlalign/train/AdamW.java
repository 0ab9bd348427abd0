package org.vlalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.NdArrays;

/**
 * AdamW with decoupled weight decay and bias correction exactly as PyTorch's {@code torch.optim.AdamW}
 * (single-tensor path, {@code amsgrad=False}): for step {@code t},
 *
 * <pre>
 * p ← p·(1 − lr·λ)
 * m ← m + (g − m)·(1 − β₁)            (torch's lerp)
 * v ← v·β₂ + g²·(1 − β₂)
 * p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 * </pre>
 *
 * <p>It updates the parameters it was made for in place, through detached aliases, so the arrays a
 * model class holds (and computes with) are the ones that learn; nothing is updated under autograd.
 * Decay applies to every parameter, as when {@code model.parameters()} is passed to PyTorch. The state
 * ({@code m}, {@code v}, step) is exported and restored exactly by {@link #state()} and {@link #restore}.
 *
 * <p>Not thread-safe. The moments live in a manager the optimiser owns; {@link #close} releases them.
 *
 * <p>A {@link TrainingLoop} makes and steps its optimiser; applications choose the {@link Options} in the
 * {@link TrainingConfig} and read the state through {@link TrainingLoop#optimizer()}.
 *
 * @since 0.1.0
 */
public final class AdamW implements AutoCloseable {

    /**
     * The hyper-parameters (PyTorch defaults: β 0.9/0.999, ε 1e-8, weight decay 0.01).
     *
     * @param beta1 β₁ in [0, 1)
     * @param beta2 β₂ in [0, 1)
     * @param eps ε, positive
     * @param weightDecay λ, at least 0
     * @since 0.1.0
     */
    public record Options(double beta1, double beta2, double eps, double weightDecay) {
        /** PyTorch's defaults. */
        public static final Options DEFAULT = new Options(0.9, 0.999, 1e-8, 0.01);

        /** Validates. */
        public Options {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
                throw new InvalidArgumentException("AdamW needs 0 <= beta1, beta2 < 1, eps > 0 and weightDecay >= 0"
                        + " but got beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + eps + ", weightDecay=" + weightDecay);
            }
        }
    }

    /**
     * The optimiser state, as plain Java.
     *
     * @param step the number of updates done
     * @param m the first moments by parameter key
     * @param v the second moments by parameter key
     * @since 0.1.0
     */
    public record State(long step, Map<String, float[]> m, Map<String, float[]> v) {
        /** Copies. */
        public State {
            m = Map.copyOf(m);
            v = Map.copyOf(v);
        }
    }

    private final Options options;
    private final NamedParameters parameters;
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>(); // key -> (parameter shape)
    private final Map<String, NDArray> v = new LinkedHashMap<>(); // key -> (parameter shape)
    private long step;

    /**
     * Creates the optimiser for some parameters, with zero moments.
     *
     * @param parameters the arrays it updates, by key; at least one
     * @param options the hyper-parameters
     * @throws InvalidArgumentException if there is nothing to optimise
     */
    AdamW(NamedParameters parameters, Options options) {
        if (parameters == null || parameters.isEmpty() || options == null) {
            throw new InvalidArgumentException("AdamW needs at least one parameter and its options");
        }
        this.options = options;
        this.parameters = parameters;
        this.manager = NDManager.newBaseManager(parameters.asMap().values().iterator().next().getDevice(), "PyTorch");
        parameters.asMap().forEach((key, p) -> {
            m.put(key, manager.zeros(p.getShape()));
            v.put(key, manager.zeros(p.getShape()));
        });
    }

    /**
     * The number of updates done.
     *
     * @return the step count
     */
    public long step() {
        return step;
    }

    /**
     * The hyper-parameters.
     *
     * @return the options
     */
    public Options options() {
        return options;
    }

    /**
     * The parameters it updates.
     *
     * @return the view
     * @since 0.2.0
     */
    NamedParameters parameters() {
        return parameters;
    }

    /**
     * Applies one update with the given gradients, writing the new values into the parameters in place.
     *
     * @param gradients key → gradient, one per parameter, same shapes; not closed here
     * @param lr the learning rate of this step
     * @throws InvalidArgumentException if the gradients are not exactly the parameters' keys
     */
    void update(Map<String, NDArray> gradients, double lr) {
        if (!gradients.keySet().equals(m.keySet())) {
            throw new InvalidArgumentException("gradients for " + gradients.keySet() + " but parameters " + m.keySet());
        }
        step++;
        double b1 = options.beta1();
        double b2 = options.beta2();
        double stepSize = lr / (1 - Math.pow(b1, step));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
        for (String key : m.keySet()) {
            try (NDManager scratch = manager.newSubManager()) {
                NDArray p = NdArrays.own(parameters.get(key).stopGradient(), scratch); // detached alias
                NDArray g = NdArrays.own(gradients.get(key).stopGradient(), scratch);
                NDArray mOld = m.get(key);
                NDArray vOld = v.get(key);
                NDArray mo = NdArrays.own(mOld.stopGradient(), scratch); // aliases in scratch: results land there
                NDArray vo = NdArrays.own(vOld.stopGradient(), scratch);
                NDArray decayed = p.mul((float) (1 - lr * options.weightDecay()));
                NDArray mNew = mo.add(g.sub(mo).mul((float) (1 - b1)));
                NDArray vNew = vo.mul((float) b2).add(g.mul(g).mul((float) (1 - b2)));
                NDArray denom = vNew.sqrt().div((float) bc2Sqrt).add((float) options.eps());
                NDArray pNew = decayed.sub(mNew.div(denom).mul((float) stepSize));
                NdArrays.assign(p, pNew); // the model's own storage takes the new values
                mNew.attach(manager);
                vNew.attach(manager);
                m.put(key, mNew);
                v.put(key, vNew);
                mOld.close();
                vOld.close();
            }
        }
    }

    /**
     * The state as plain Java, for checkpoints.
     *
     * @return the state
     */
    public State state() {
        Map<String, float[]> ms = new LinkedHashMap<>();
        Map<String, float[]> vs = new LinkedHashMap<>();
        m.forEach((k, a) -> ms.put(k, a.toFloatArray()));
        v.forEach((k, a) -> vs.put(k, a.toFloatArray()));
        return new State(step, ms, vs);
    }

    /**
     * Restores a saved state.
     *
     * @param state the state from {@link #state()}
     * @throws InvalidArgumentException if it does not fit the parameters
     */
    public void restore(State state) {
        if (!state.m().keySet().equals(m.keySet()) || !state.v().keySet().equals(v.keySet())) {
            throw new InvalidArgumentException("optimiser state for " + state.m().keySet() + " does not fit parameters "
                    + m.keySet());
        }
        for (String key : m.keySet()) {
            long[] shape = m.get(key).getShape().getShape();
            NDArray mNew = NdArrays.floats(manager, state.m().get(key), shape);
            NDArray vNew = NdArrays.floats(manager, state.v().get(key), shape);
            m.put(key, mNew).close();
            v.put(key, vNew).close();
        }
        step = state.step();
    }

    /** Releases the moments. Idempotent. */
    @Override
    public void close() {
        manager.close();
    }
}
