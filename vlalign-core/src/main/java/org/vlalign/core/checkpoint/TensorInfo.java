package org.vlalign.core.checkpoint;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where one tensor lives in a safetensors file and what it holds.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the tensor name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param dtype the safetensors dtype name, e.g. {@code BF16}
 * @param shape the dimensions
 * @param file the file that holds the data
 * @param offset the absolute byte offset of the first element in {@code file}
 * @param byteLength the number of data bytes
 * @since 0.1.0
 */
public record TensorInfo(String name, String dtype, long[] shape, Path file, long offset, long byteLength) {

    /** Copies the shape. */
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * The element type.
     *
     * @return the dtype
     */
    public SafetensorsDtype type() {
        return SafetensorsDtype.valueOf(dtype);
    }

    /**
     * The number of elements.
     *
     * @return the product of the dimensions (1 for a scalar)
     */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape)
                && file.equals(t.file)
                && offset == t.offset
                && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @" + file.getFileName() + ":" + offset;
    }
}
