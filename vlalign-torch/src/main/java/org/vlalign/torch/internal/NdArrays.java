package org.vlalign.torch.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

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
     * {@code x @ weight.T + bias}, as {@code torch.nn.functional.linear}.
     *
     * @param x the input, {@code (..., in)}; its manager owns the result
     * @param weight {@code (out, in)}
     * @param bias {@code (out)} or null
     * @return {@code (..., out)}
     */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return bias == null ? Linear.linear(x, weight).singletonOrThrow() : Linear.linear(x, weight, bias).singletonOrThrow();
    }

    /**
     * A float32 array from Java values (copied into native memory).
     *
     * @param manager the owner
     * @param data row-major values
     * @param shape the dimensions
     * @return the array
     */
    public static NDArray floats(NDManager manager, float[] data, long... shape) {
        Preconditions.checkArgument(new Shape(shape).size() == data.length, "shape %s needs %s values but got %s",
                Arrays.toString(shape), new Shape(shape).size(), data.length);
        ByteBuffer b = ByteBuffer.allocateDirect(data.length * 4).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(data);
        return manager.create(b, new Shape(shape), DataType.FLOAT32);
    }

    /**
     * An int64 array from Java values.
     *
     * @param manager the owner
     * @param data row-major values
     * @param shape the dimensions
     * @return the array
     */
    public static NDArray longs(NDManager manager, long[] data, long... shape) {
        Preconditions.checkArgument(new Shape(shape).size() == data.length, "shape %s needs %s values but got %s",
                Arrays.toString(shape), new Shape(shape).size(), data.length);
        ByteBuffer b = ByteBuffer.allocateDirect(data.length * 8).order(ByteOrder.nativeOrder());
        b.asLongBuffer().put(data);
        return manager.create(b, new Shape(shape), DataType.INT64);
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
            Preconditions.checkArgument(m[i].length == cols, "row %s has %s columns, expected %s", i, m[i].length, cols);
            System.arraycopy(m[i], 0, out, i * cols, cols);
        }
        return out;
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
        Preconditions.checkArgument(rows > 0 && flat.length % rows == 0, "%s values do not split into %s rows",
                flat.length, rows);
        int cols = flat.length / rows;
        float[][] out = new float[rows][];
        for (int i = 0; i < rows; i++) {
            out[i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
        }
        return out;
    }
}
