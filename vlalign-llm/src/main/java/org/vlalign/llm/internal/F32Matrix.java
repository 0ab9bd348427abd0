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

    @Override
    public void matmul(float[] x, int ldx, int n, float[] y, int ldy, int yOff, int r0, int r1, float[] scratch) {
        for (int r = r0; r < r1; r++) {
            for (int t = 0; t < n; t++) {
                y[t * ldy + yOff + r - r0] = K.dot(w, r * cols, x, t * ldx, cols);
            }
        }
    }
}
