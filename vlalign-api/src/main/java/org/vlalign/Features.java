package org.vlalign;

import java.util.Arrays;

/**
 * A dense float tensor in row-major order: image features, adapted embeddings, or search vectors.
 *
 * <p>Typical shapes: {@code (32, 768)} for BLIP-2 Q-Former query outputs, {@code (32, 4096)} after
 * the reference adaptor, {@code (32, 256)} for BLIP-2 retrieval vectors, {@code (1, 512)} for a CLIP
 * embedding. The arrays are copied in and out, so instances are immutable and thread-safe.
 *
 * @param data the values, row-major; length equals the product of {@code shape}
 * @param shape the dimensions, each positive
 * @since 0.1.0
 */
public record Features(float[] data, int[] shape) {

    /** Validates and copies. */
    public Features {
        Checks.checkNotNull(data, "data");
        Checks.checkNotNull(shape, "shape");
        Checks.checkArgument(shape.length > 0, "shape must have at least one dimension");
        long n = 1;
        for (int d : shape) {
            Checks.checkArgument(d > 0, "shape %s has a non-positive dimension", Arrays.toString(shape));
            n *= d;
        }
        Checks.checkArgument(
                n == data.length,
                "shape %s needs %s values but data has %s",
                Arrays.toString(shape), n, data.length);
        data = data.clone();
        shape = shape.clone();
    }

    /**
     * A matrix of {@code rows × cols}.
     *
     * @param data the values, row-major
     * @param rows the number of rows (vectors)
     * @param cols the width of each row
     * @return the features
     */
    public static Features of(float[] data, int rows, int cols) {
        return new Features(data, new int[] {rows, cols});
    }

    /**
     * A single vector, shape {@code (1, n)}.
     *
     * @param vector the values
     * @return the features
     */
    public static Features ofVector(float[] vector) {
        return new Features(vector, new int[] {1, vector.length});
    }

    /**
     * A copy of the values.
     *
     * @return the values, row-major
     */
    @Override
    public float[] data() {
        return data.clone();
    }

    /**
     * A copy of the shape.
     *
     * @return the dimensions
     */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /**
     * The number of rows when viewed as a matrix: the product of all dimensions but the last.
     *
     * @return the rows
     */
    public int rows() {
        return data.length / shape[shape.length - 1];
    }

    /**
     * The last dimension.
     *
     * @return the width of each row
     */
    public int cols() {
        return shape[shape.length - 1];
    }

    /**
     * One row, copied.
     *
     * @param i the row, {@code 0 <= i < rows()}
     * @return the row's values
     */
    public float[] row(int i) {
        Checks.checkArgument(i >= 0 && i < rows(), "row %s is out of range [0, %s)", i, rows());
        int c = cols();
        return Arrays.copyOfRange(data, i * c, (i + 1) * c);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Features f && Arrays.equals(data, f.data) && Arrays.equals(shape, f.shape);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(data) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "Features" + Arrays.toString(shape);
    }
}
