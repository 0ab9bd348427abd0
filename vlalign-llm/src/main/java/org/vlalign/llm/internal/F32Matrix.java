package org.vlalign.llm.internal;

/** A float32 {@link Matrix}. Immutable after loading; thread-safe for reading. */
final class F32Matrix extends Matrix {
    private final float[] w; // (rows, cols)

    F32Matrix(int rows, int cols) {
        super(rows, cols);
        this.w = new float[checkedSize((long) rows * cols, "an fp32 matrix")];
    }

    @Override
    public Format format() {
        return Format.F32;
    }

    @Override
    public long bytes() {
        return 4L * w.length;
    }

    @Override
    public void setRows(int r0, float[] src, int srcOff, int n) {
        System.arraycopy(src, srcOff, w, r0 * cols, n * cols);
    }

    @Override
    public void row(int r, float[] dst, int dstOff) {
        System.arraycopy(w, r * cols, dst, dstOff, cols);
    }

    @Override
    public float dotRow(int r, float[] x, int xOff) {
        return K.dot(w, r * cols, x, xOff, cols);
    }

    /** Multiplies the stored rows directly: they need no decoding into the scratch. */
    @Override
    void multiplyChunk(float[] x, int xOff, int ldx, int nt, float[] y, int ldy, int yOff, int r0, int r1,
            float[] scratch) {
        K.gemm(w, r0 * cols, cols, r1 - r0, x, xOff, ldx, nt, cols, y, yOff, ldy);
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
