package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;

/**
 * The gated SiLU feed-forward block: {@code down(silu(gate(x)) · up(x))}.
 *
 * <p>Thread-safe; weights belong to the model's manager (see {@link LlamaLinear} for attached LoRA adapters).
 *
 * @since 0.1.0
 */
public final class LlamaMlp {

    /** Key pattern of the gate projection, after the layer prefix. */
    static final String GATE_PROJ = "mlp.gate_proj";
    /** Key pattern of the up projection. */
    static final String UP_PROJ = "mlp.up_proj";
    /** Key pattern of the down projection. */
    static final String DOWN_PROJ = "mlp.down_proj";

    private final LlamaLinear gateProj; // (intermediate, hidden)
    private final LlamaLinear upProj; // (intermediate, hidden)
    private final LlamaLinear downProj; // (hidden, intermediate)

    LlamaMlp(LlamaLinear gateProj, LlamaLinear upProj, LlamaLinear downProj) {
        this.gateProj = gateProj;
        this.upProj = upProj;
        this.downProj = downProj;
    }

    /**
     * Runs the block.
     *
     * @param x {@code (batch, seq, hidden)}; its manager owns the result
     * @return {@code (batch, seq, hidden)}
     */
    public NDArray forward(NDArray x) {
        NDArray gate = gateProj.forward(x); // (batch, seq, intermediate)
        NDArray up = upProj.forward(x); // (batch, seq, intermediate)
        NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up); // silu(gate) * up
        return downProj.forward(act);
    }
}
