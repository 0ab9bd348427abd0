package org.vlalign.torch.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.vlalign.Checks;

/**
 * NDArray helpers used by every model family.
 *
 * <p>Ownership rule these helpers follow: a DJL operation attaches its result to the manager of its
 * first operand. Model code therefore always passes the per-call activation first and the weight
 * second, so results land in the call's manager and never in the shared weight manager.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class NdArrays {

    /** {@code torch.finfo(torch.float32).min}: the additive mask value for masked keys. */
    public static final float FLOAT32_MIN = -Float.MAX_VALUE;

    private NdArrays() {}

    /**
     * {@code x @ weight.T + bias}, as {@code torch.nn.functional.linear}. A float16 weight with a float32 input is
     * widened to float32 for the product and freed after it, so the product is computed in float32.
     *
     * @param x the input, {@code (..., in)}; its manager owns the result
     * @param weight {@code (out, in)}
     * @param bias {@code (out)} or null
     * @return {@code (..., out)}
     */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        if (weight.getDataType() == DataType.FLOAT16 && x.getDataType() == DataType.FLOAT32) {
            // a weight kept in 16 bits (TorchCheckpoint.loadHalf): widened for this product only, then freed
            try (NDArray wide = weight.toType(DataType.FLOAT32, false)) {
                return linear(x, wide, bias);
            }
        }
        return bias == null ? Linear.linear(x, weight).singletonOrThrow() : Linear.linear(x, weight, bias).singletonOrThrow();
    }

    /**
     * A float32 array from Java values, copied into storage libtorch owns (safe to close while views or
     * autograd still use it).
     *
     * @param manager the owner
     * @param data row-major values
     * @param shape the dimensions
     * @return the array
     */
    public static NDArray floats(NDManager manager, float[] data, long... shape) {
        ByteBuffer b = directBuffer(data.length, Float.BYTES, shape);
        b.asFloatBuffer().put(data);
        return ownStorage(manager.create(b, new Shape(shape), DataType.FLOAT32));
    }

    /**
     * A 0-dimensional float32 array whose storage libtorch owns, for arithmetic with a constant inside
     * a differentiable computation: use {@code x.div(NdArrays.scalar(m, s))} instead of {@code
     * x.div(s)} whenever gradients may flow through {@code x}.
     *
     * <p>Why: DJL's {@code NDArray.div(Number)} (and {@code mul}, {@code add}, ... with a {@code
     * Number}) wraps the number in a temporary {@code from_blob} tensor over a Java direct buffer and
     * closes it right after the op. Autograd saves the divisor for the backward pass, so the backward
     * later reads memory the garbage collector has freed (and malloc may have reused): garbage or NaN
     * gradients with a finite loss, depending on when GC ran.
     *
     * @param manager the owner
     * @param value the value
     * @return the {@code ()} array
     */
    public static NDArray scalar(NDManager manager, float value) {
        return floats(manager, new float[] {value});
    }

    /**
     * An int64 array from Java values, copied into storage libtorch owns.
     *
     * @param manager the owner
     * @param data row-major values
     * @param shape the dimensions
     * @return the array
     */
    public static NDArray longs(NDManager manager, long[] data, long... shape) {
        ByteBuffer b = directBuffer(data.length, Long.BYTES, shape);
        b.asLongBuffer().put(data);
        return ownStorage(manager.create(b, new Shape(shape), DataType.INT64));
    }

    /** A native-order direct buffer for {@code length} values of {@code bytes} each, which {@code shape} must hold. */
    private static ByteBuffer directBuffer(int length, int bytes, long[] shape) {
        Checks.checkArgument(new Shape(shape).size() == length, "shape %s needs %s values but got %s",
                Arrays.toString(shape), new Shape(shape).size(), length);
        return ByteBuffer.allocateDirect(length * bytes).order(ByteOrder.nativeOrder());
    }

    /**
     * Copies an array made by {@code NDManager.create(directBuffer)} into storage libtorch allocates,
     * and closes the original.
     *
     * <p>On the PyTorch engine {@code create} wraps the Java direct buffer with {@code from_blob}
     * (no copy): the memory belongs to the Java buffer, which only the returned NDArray keeps
     * reachable. Anything libtorch still holds once that NDArray is closed (a view, a tensor autograd
     * saved for the backward pass) would then read memory the garbage collector freed. A libtorch-owned
     * copy is reference-counted natively, so closing the NDArray can never leave such a dangling
     * reader. The copy is a leaf without autograd history; callers may still enable gradients on it.
     */
    private static NDArray ownStorage(NDArray wrapsJavaBuffer) {
        try (NDArray blob = wrapsJavaBuffer) {
            return blob.duplicate(); // torch clone: new storage in the same manager
        }
    }

    /**
     * Runs one layer of a stack with its intermediates in a scope of their own, so a forward pass holds one
     * layer's activations at a time rather than every layer's until the caller's scope closes (for a
     * 24-layer ViT-L/14-336 tower that was about 2 GB). {@code x} is attached to the scope while the layer
     * runs and returns to its manager afterwards, which also receives the result. Autograd is unaffected:
     * closing an intermediate's handle does not free what the graph still references.
     *
     * @param x the layer's input; stays owned by its manager
     * @param layer the layer, applied to {@code x}
     * @return the layer's output, owned by {@code x}'s manager
     */
    public static NDArray inLayerScope(NDArray x, UnaryOperator<NDArray> layer) {
        NDManager parent = x.getManager();
        try (NDManager scratch = parent.newSubManager()) {
            x.tempAttach(scratch); // everything derived from x lands in scratch; x returns to parent on close
            NDArray out = layer.apply(x);
            out.attach(parent);
            return out;
        }
    }

    /**
     * Copies {@code source}'s values into {@code target}'s own storage, in place and outside autograd
     * (through a detached alias, so a leaf that requires gradients may be written). Unlike {@code
     * NDArray.set(Buffer)}, which makes the array point at a Java buffer, the storage stays libtorch's.
     *
     * @param target the array to overwrite, e.g. a model weight
     * @param source the values, same shape; not closed
     * @since 0.2.0
     */
    public static void assign(NDArray target, NDArray source) {
        Checks.checkArgument(target.getShape().equals(source.getShape()), "cannot assign %s values to %s",
                source.getShape(), target.getShape());
        try (NDArray alias = target.stopGradient()) {
            alias.set(new NDIndex("..."), source); // index_put_ over every element: a copy
        }
    }

    /**
     * Sets every element of an array to zero in place, outside autograd (non-finite values included,
     * unlike {@code x.subi(x)}); used to clear accumulated gradients.
     *
     * @param target the array
     * @since 0.2.0
     */
    public static void zero(NDArray target) {
        try (NDArray alias = target.stopGradient()) {
            alias.set(new NDIndex("..."), 0f); // a fresh index each time: DJL may mutate one
        }
    }

    /**
     * Flattens a rectangular {@code long[rows][cols]} matrix.
     *
     * @param m the matrix
     * @return row-major values
     */
    public static long[] flatten(long[][] m) {
        int cols = m.length == 0 ? 0 : m[0].length;
        long[] out = new long[m.length * cols];
        for (int i = 0; i < m.length; i++) {
            Checks.checkArgument(m[i].length == cols, "row %s has %s columns, expected %s", i, m[i].length, cols);
            System.arraycopy(m[i], 0, out, i * cols, cols);
        }
        return out;
    }

    /**
     * The array itself if {@code call} owns it, otherwise a copy that {@code call} owns. A model call
     * starts from it so that every activation lands in the call's manager: an op's result takes its
     * first operand's manager, so inputs owned by a long-lived manager (a benchmark's trial, an
     * application's cache) would otherwise collect every call's activations until that manager closes.
     *
     * @param input an input array; not closed
     * @param call the call's manager
     * @return an array with the same values owned by {@code call}
     * @since 0.2.0
     */
    public static NDArray inCall(NDArray input, NDManager call) {
        if (input.getManager() == call) {
            return input;
        }
        NDArray copy = input.duplicate();
        copy.attach(call);
        return copy;
    }

    /**
     * Moves an array to another manager and returns it (for chaining).
     *
     * @param array the array
     * @param owner the new owner
     * @return {@code array}
     */
    public static NDArray own(NDArray array, NDManager owner) {
        array.attach(owner);
        return array;
    }

    /**
     * Splits a flat {@code (rows × cols)} float array into rows.
     *
     * @param flat the values
     * @param rows the number of rows
     * @return {@code [rows][cols]}
     */
    public static float[][] rows(float[] flat, int rows) {
        Checks.checkArgument(rows > 0 && flat.length % rows == 0, "%s values do not split into %s rows",
                flat.length, rows);
        int cols = flat.length / rows;
        float[][] out = new float[rows][];
        for (int i = 0; i < rows; i++) {
            out[i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
        }
        return out;
    }

    /**
     * Adds an array to a safetensors writer: FLOAT32 and INT64 keep their type, other types are written
     * as float32.
     *
     * @param writer the writer
     * @param name the tensor name
     * @param array the array
     * @return the writer
     */
    public static org.vlalign.core.checkpoint.SafetensorsWriter addTo(
            org.vlalign.core.checkpoint.SafetensorsWriter writer, String name, NDArray array) {
        long[] shape = array.getShape().getShape();
        if (array.getDataType() == DataType.INT64) {
            return writer.addI64(name, array.toLongArray(), shape);
        }
        if (array.getDataType() == DataType.FLOAT32) {
            return writer.addF32(name, array.toFloatArray(), shape);
        }
        try (NDArray f = array.toType(DataType.FLOAT32, true)) {
            return writer.addF32(name, f.toFloatArray(), shape);
        }
    }

    /**
     * Writes arrays to a safetensors file in one call.
     *
     * @param file the target file
     * @param tensors name to array (FLOAT32 or INT64; others are converted to float32)
     */
    public static void writeSafetensors(java.nio.file.Path file, java.util.Map<String, NDArray> tensors) {
        org.vlalign.core.checkpoint.SafetensorsWriter w = org.vlalign.core.checkpoint.SafetensorsWriter.create();
        tensors.forEach((name, array) -> addTo(w, name, array));
        w.write(file);
    }
}
