package org.vlalign.llm.internal;

/**
 * A 16-bit {@link Matrix}: bfloat16 or IEEE binary16, as the checkpoint stored it. Encoding rounds to
 * nearest even. Immutable after loading; thread-safe for reading.
 */
final class Half16Matrix extends Matrix {
    private final short[] w; // (rows, cols)
    private final boolean f16;

    Half16Matrix(int rows, int cols, boolean f16) {
        super(rows, cols);
        this.w = new short[checkedSize((long) rows * cols, "a 16-bit matrix")];
        this.f16 = f16;
    }

    @Override
    public Format format() {
        return f16 ? Format.F16 : Format.BF16;
    }

    @Override
    public long bytes() {
        return 2L * w.length;
    }

    @Override
    public void setRows(int r0, float[] src, int srcOff, int n) {
        int base = r0 * cols;
        for (int i = 0; i < n * cols; i++) {
            w[base + i] = f16 ? Fp16.fromFloat(src[srcOff + i])
                    : org.vlalign.core.checkpoint.DtypeConversion.floatToBf16(src[srcOff + i]);
        }
    }

    @Override
    public void row(int r, float[] dst, int dstOff) {
        K.decode16(w, r * cols, f16, dst, dstOff, cols);
    }

    @Override
    public float dotRow(int r, float[] x, int xOff) {
        return K.dot16(w, r * cols, f16, x, xOff, cols);
    }

    @Override
    void save(ArrayIo io) throws java.io.IOException {
        io.write(w);
    }

    @Override
    void restore(ArrayIo io) throws java.io.IOException {
        io.read(w);
    }
}
