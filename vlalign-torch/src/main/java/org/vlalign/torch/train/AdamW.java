package org.vlalign.torch.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.common.base.Preconditions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlalign.InvalidArgumentException;
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
 * <p>Decay applies to every parameter, as when {@code model.parameters()} is passed to PyTorch. Each
 * update writes fresh leaf arrays (the old parameter and moments are closed), so no gradient has to be
 * zeroed and nothing is updated in place under autograd. The state ({@code m}, {@code v}, step) is
 * exported and restored exactly by {@link #state()} and {@link #restore}.
 *
 * <p>Not thread-safe. The moments live in a manager the optimiser owns; {@link #close} releases them.
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
     * @param m the first moments per parameter
     * @param v the second moments per parameter
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
    private final NDManager manager;
    private final Map<String, NDArray> m = new LinkedHashMap<>(); // name -> (parameter shape)
    private final Map<String, NDArray> v = new LinkedHashMap<>(); // name -> (parameter shape)
    private long step;

    /**
     * Creates the optimiser for an adaptor's parameters, with zero moments.
     *
     * @param adaptor the adaptor whose parameters it updates
     * @param options the hyper-parameters
     */
    public AdamW(TrainableAdaptor adaptor, Options options) {
        this.options = Preconditions.checkNotNull(options, "options");
        this.manager = NDManager.newBaseManager(adaptor.manager().getDevice(), "PyTorch");
        for (String name : adaptor.parameterNames()) {
            NDArray p = adaptor.parameter(name);
            m.put(name, manager.zeros(p.getShape()));
            v.put(name, manager.zeros(p.getShape()));
        }
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
     * Applies one update with the given gradients and replaces the adaptor's parameters with new leaf
     * arrays that require gradients.
     *
     * @param adaptor the adaptor (the one this optimiser was made for)
     * @param gradients name → gradient, same shapes as the parameters; not closed here
     * @param lr the learning rate of this step
     */
    public void update(TrainableAdaptor adaptor, Map<String, NDArray> gradients, double lr) {
        Preconditions.checkArgument(gradients.keySet().equals(m.keySet()), "gradients for %s but parameters %s",
                gradients.keySet(), m.keySet());
        step++;
        double b1 = options.beta1();
        double b2 = options.beta2();
        double stepSize = lr / (1 - Math.pow(b1, step));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
        for (String name : m.keySet()) {
            try (NDManager scratch = manager.newSubManager()) {
                NDArray p = NdArrays.own(adaptor.parameter(name).stopGradient(), scratch); // detached view
                NDArray g = NdArrays.own(gradients.get(name).stopGradient(), scratch);
                NDArray mOld = m.get(name);
                NDArray vOld = v.get(name);
                NDArray mo = NdArrays.own(mOld.stopGradient(), scratch); // views in scratch, so results land there
                NDArray vo = NdArrays.own(vOld.stopGradient(), scratch);
                NDArray decayed = p.mul((float) (1 - lr * options.weightDecay()));
                NDArray mNew = mo.add(g.sub(mo).mul((float) (1 - b1)));
                NDArray vNew = vo.mul((float) b2).add(g.mul(g).mul((float) (1 - b2)));
                NDArray denom = vNew.sqrt().div((float) bc2Sqrt).add((float) options.eps());
                NDArray pNew = decayed.sub(mNew.div(denom).mul((float) stepSize));
                mNew.attach(manager);
                vNew.attach(manager);
                m.put(name, mNew);
                v.put(name, vNew);
                mOld.close();
                vOld.close();
                pNew.setRequiresGradient(true);
                adaptor.replaceParameter(name, pNew);
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
        m.forEach((n, a) -> ms.put(n, a.toFloatArray()));
        v.forEach((n, a) -> vs.put(n, a.toFloatArray()));
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
        for (String name : m.keySet()) {
            long[] shape = m.get(name).getShape().getShape();
            NDArray mNew = NdArrays.floats(manager, state.m().get(name), shape);
            NDArray vNew = NdArrays.floats(manager, state.v().get(name), shape);
            m.put(name, mNew).close();
            v.put(name, vNew).close();
        }
        step = state.step();
    }

    /** Releases the moments. Idempotent. */
    @Override
    public void close() {
        manager.close();
    }
}
