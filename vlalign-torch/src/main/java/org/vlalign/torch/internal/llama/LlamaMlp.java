package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;
import org.vlalign.torch.internal.NdArrays;

/**
 * The gated SiLU feed-forward block: {@code down(silu(gate(x)) · up(x))}.
 *
 * <p>Immutable and thread-safe; weights belong to the model's manager.
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

    private final NDArray gateProj; // (intermediate, hidden)
    private final NDArray gateProjBias; // (intermediate) or null
    private final NDArray upProj; // (intermediate, hidden)
    private final NDArray upProjBias; // (intermediate) or null
    private final NDArray downProj; // (hidden, intermediate)
    private final NDArray downProjBias; // (hidden) or null

    LlamaMlp(NDArray gateProj, NDArray gateProjBias, NDArray upProj, NDArray upProjBias, NDArray downProj,
            NDArray downProjBias) {
        this.gateProj = gateProj;
        this.gateProjBias = gateProjBias;
        this.upProj = upProj;
        this.upProjBias = upProjBias;
        this.downProj = downProj;
        this.downProjBias = downProjBias;
    }

    /**
     * Runs the block.
     *
     * @param x {@code (batch, seq, hidden)}; its manager owns the result
     * @return {@code (batch, seq, hidden)}
     */
    public NDArray forward(NDArray x) {
        NDArray gate = NdArrays.linear(x, gateProj, gateProjBias); // (batch, seq, intermediate)
        NDArray up = NdArrays.linear(x, upProj, upProjBias); // (batch, seq, intermediate)
        NDArray act = gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up); // silu(gate) * up
        return NdArrays.linear(act, downProj, downProjBias);
    }
}
