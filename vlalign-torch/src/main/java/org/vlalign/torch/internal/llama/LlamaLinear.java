package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.norm.Dropout;
import ai.djl.pytorch.jni.JniUtils;
import org.vlalign.torch.internal.NdArrays;

/**
 * One of a Llama layer's projections ({@code q_proj} … {@code down_proj}): {@code W x + b}, plus, while a
 * {@link LlamaLora} adapter is attached, the unmerged low-rank update {@code s · B A dropout(x)}.
 *
 * <p>Thread-safe for forwards; attaching or detaching an adapter must not race running forwards (the
 * adapter is read once per forward).
 */
final class LlamaLinear {

    private final String path; // module path with the model's prefix, e.g. model.layers.0.self_attn.q_proj
    private final NDArray weight; // (out, in)
    private final NDArray bias; // (out) or null
    private volatile Adapter adapter; // null unless a LoRA adapter is attached

    /** The low-rank pair of one projection. */
    record Adapter(NDArray loraA, NDArray loraB, NDArray scale, float dropout) {
        // loraA (r, in), loraB (out, r), scale () owned by the adapter's manager
    }

    LlamaLinear(String path, NDArray weight, NDArray bias) {
        this.path = path;
        this.weight = weight;
        this.bias = bias;
    }

    /** The module path, e.g. {@code model.layers.0.self_attn.q_proj}. */
    String path() {
        return path;
    }

    /** The module name, the path's last segment (e.g. {@code q_proj}). */
    String name() {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    /** {@code (out, in)}. */
    NDArray weight() {
        return weight;
    }

    Adapter adapter() {
        return adapter;
    }

    void adapter(Adapter a) {
        this.adapter = a;
    }

    /**
     * Runs the projection.
     *
     * @param x {@code (..., in)}; its manager owns the result
     * @return {@code (..., out)}
     */
    NDArray forward(NDArray x) {
        NDArray y = NdArrays.linear(x, weight, bias); // (..., out)
        Adapter a = adapter;
        if (a == null) {
            return y;
        }
        // PEFT drops the adapter's input only while training; here that is while autograd records
        boolean training = a.dropout() > 0 && JniUtils.isGradMode();
        NDArray in = training ? Dropout.dropout(x, a.dropout(), true).singletonOrThrow() : x;
        NDArray low = NdArrays.linear(in, a.loraA(), null); // (..., r)
        NDArray update = NdArrays.linear(low, a.loraB(), null); // (..., out)
        return y.add(update.mul(a.scale()));
    }
}
