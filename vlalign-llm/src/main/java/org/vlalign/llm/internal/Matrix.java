package org.vlalign.llm.internal;

import org.vlalign.Checks;


/**
 * A weight matrix {@code (rows, cols)} in one storage format, row-major, held in Java arrays on the heap
 * (no direct or native memory, so no hidden JVM limit applies beyond {@code -Xmx}).
 *
 * <p>Rows are filled once while loading ({@link #setRows}), then only read: after loading a matrix is
 * immutable and any number of threads may multiply with it concurrently. Filling is not thread-safe.
 */
public abstract class Matrix {
    /** The kernels every format computes with, chosen once per JVM. */
    protected static final Kernels K = KernelsProvider.get();
    /** The most elements one Java array holds here. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 16;

    /** The storage formats. */
    public enum Format {
        /** float32. */
        F32(32),
        /** bfloat16. */
        BF16(16),
        /** IEEE binary16. */
        F16(16),
        /** 8-bit blocks of 32 with an fp16 scale. */
        Q8(8.5),
        /** 4-bit blocks of 32 with an fp16 scale. */
        Q4(4.5);

        private final double bits;

        Format(double bits) {
            this.bits = bits;
        }

        /**
         * Bits a weight takes, scales included.
         *
         * @return the bits per weight
         */
        public double bitsPerWeight() {
            return bits;
        }

        /**
         * Whether this format stores blocks of {@link Kernels#BLOCK} along each row.
         *
         * @return true for the quantised formats
         */
        public boolean blocked() {
            return this == Q8 || this == Q4;
        }
    }

    /** Rows. */
    protected final int rows;
    /** Columns. */
    protected final int cols;

    /**
     * Creates a matrix shape.
     *
     * @param rows the rows
     * @param cols the columns
     */
    protected Matrix(int rows, int cols) {
        Checks.checkArgument(rows > 0 && cols > 0, "matrix shape must be positive: %s x %s", rows, cols);
        this.rows = rows;
        this.cols = cols;
    }

    /**
     * A zero matrix in a format.
     *
     * @param format the format; blocked formats need {@code cols % 32 == 0}
     * @param rows the rows
     * @param cols the columns
     * @return the matrix
     */
    public static Matrix allocate(Format format, int rows, int cols) {
        return switch (format) {
            case F32 -> new F32Matrix(rows, cols);
            case BF16 -> new Half16Matrix(rows, cols, false);
            case F16 -> new Half16Matrix(rows, cols, true);
            case Q8 -> new Q8Matrix(rows, cols);
            case Q4 -> new Q4Matrix(rows, cols);
        };
    }

    /**
     * Whether a format can hold a matrix with this many columns (blocked formats need multiples of 32).
     *
     * @param format the format
     * @param cols the columns
     * @return true if it can
     */
    public static boolean fits(Format format, int cols) {
        return !format.blocked() || cols % Kernels.BLOCK == 0;
    }

    static int checkedSize(long n, String what) {
        if (n > MAX_ARRAY) {
            throw new UnsupportedOperationException(what + " needs " + n + " elements in one array; at most "
                    + MAX_ARRAY + " are supported");
        }
        return (int) n;
    }

    /**
     * The number of rows.
     *
     * @return rows
     */
    public final int rows() {
        return rows;
    }

    /**
     * The number of columns.
     *
     * @return columns
     */
    public final int cols() {
        return cols;
    }

    /**
     * The storage format.
     *
     * @return the format
     */
    public abstract Format format();

    /**
     * The bytes the weights take.
     *
     * @return bytes
     */
    public abstract long bytes();

    /**
     * Encodes float rows into this matrix's format.
     *
     * @param r0 the first row to set
     * @param src row-major values, {@code n · cols} of them from {@code srcOff}
     * @param srcOff the offset
     * @param n the number of rows
     */
    public abstract void setRows(int r0, float[] src, int srcOff, int n);

    /**
     * Decodes one row.
     *
     * @param r the row
     * @param dst receives {@code cols} floats
     * @param dstOff the offset
     */
    public abstract void row(int r, float[] dst, int dstOff);

    /**
     * One row's dot product with a vector.
     *
     * @param r the row
     * @param x the vector
     * @param xOff offset of its first element
     * @return the dot product
     */
    public abstract float dotRow(int r, float[] x, int xOff);

    /**
     * Matrix–vector product over a row range: {@code y[yOff + r − r0] = row(r) · x[xOff ..]}.
     *
     * @param x the vector, {@code cols} elements from {@code xOff}
     * @param xOff its offset
     * @param y the result
     * @param yOff where row {@code r0}'s result goes
     * @param r0 the first row
     * @param r1 the row after the last
     */
    public void matvec(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        for (int r = r0; r < r1; r++) {
            y[yOff + r - r0] = dotRow(r, x, xOff);
        }
    }

    /** Rows decoded together: the register tile's height. */
    public static final int ROW_GROUP = 4;
    /** Vectors multiplied per pass over the rows: their activations stay in the L2 cache. */
    static final int VECTOR_CHUNK = 64;

    /**
     * The scratch {@link #matmul} needs per thread, for matrices up to {@code maxCols} wide.
     *
     * @param maxCols the widest matrix
     * @return floats
     */
    public static int scratchSize(int maxCols) {
        return ROW_GROUP * maxCols;
    }

    /**
     * Matrix product with {@code n} vectors over a row range:
     * {@code y[t · ldy + yOff + r − r0] = row(r) · x[t · ldx ..]} for every {@code t < n}.
     *
     * <p>With several vectors, groups of {@value #ROW_GROUP} rows are decoded into {@code scratch} once per
     * chunk of {@value #VECTOR_CHUNK} vectors and multiplied with register tiles, so quantised formats pay
     * their decoding once per row and chunk, and each load of a weight feeds several multiply-adds.
     *
     * @param x {@code n} vectors of {@code cols} elements, {@code ldx} apart
     * @param ldx the distance between vectors in {@code x}
     * @param n the number of vectors
     * @param y the results
     * @param ldy the distance between result rows in {@code y}
     * @param yOff where row {@code r0}'s result of vector 0 goes
     * @param r0 the first row
     * @param r1 the row after the last
     * @param scratch at least {@link #scratchSize scratchSize(cols)} floats the caller owns (one per thread)
     */
    public void matmul(float[] x, int ldx, int n, float[] y, int ldy, int yOff, int r0, int r1, float[] scratch) {
        if (n == 1) {
            matvec(x, 0, y, yOff, r0, r1);
            return;
        }
        for (int t0 = 0; t0 < n; t0 += VECTOR_CHUNK) {
            int nt = Math.min(VECTOR_CHUNK, n - t0);
            multiplyChunk(x, t0 * ldx, ldx, nt, y, ldy, t0 * ldy + yOff, r0, r1, scratch);
        }
    }

    /**
     * One chunk of {@link #matmul}: rows {@code r0} to {@code r1} times {@code nt} vectors, decoding
     * {@value #ROW_GROUP} rows into {@code scratch} at a time. A format whose rows are float32 already
     * multiplies them in place.
     *
     * @param x the vectors, {@code ldx} apart from {@code xOff}
     * @param xOff the first vector's offset
     * @param ldx the distance between vectors in {@code x}
     * @param nt the number of vectors, at most {@value #VECTOR_CHUNK}
     * @param y the results
     * @param ldy the distance between result rows in {@code y}
     * @param yOff where row {@code r0}'s result of the first vector goes
     * @param r0 the first row
     * @param r1 the row after the last
     * @param scratch as for {@link #matmul}
     */
    void multiplyChunk(float[] x, int xOff, int ldx, int nt, float[] y, int ldy, int yOff, int r0, int r1,
            float[] scratch) {
        for (int r = r0; r < r1; r += ROW_GROUP) {
            int nr = Math.min(ROW_GROUP, r1 - r);
            for (int i = 0; i < nr; i++) {
                row(r + i, scratch, i * cols);
            }
            K.gemm(scratch, 0, cols, nr, x, xOff, ldx, nt, cols, y, yOff + r - r0, ldy);
        }
    }

    /**
     * Writes this matrix's arrays (for the weight cache).
     *
     * @param io the writer
     * @throws java.io.IOException if writing fails
     */
    abstract void save(ArrayIo io) throws java.io.IOException;

    /**
     * Fills this matrix's arrays from what {@link #save} wrote.
     *
     * @param io the reader
     * @throws java.io.IOException if reading fails
     */
    abstract void restore(ArrayIo io) throws java.io.IOException;

    @Override
    public String toString() {
        return format() + "[" + rows + " x " + cols + "]";
    }
}
