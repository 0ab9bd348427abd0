package org.vlalign.llm.internal;

/**
 * An 8-bit {@link Matrix}: each row is cut into blocks of 32 weights stored as signed bytes with one
 * fp16 scale, {@code weight = d · q}, {@code d = max|w| / 127} rounded to fp16 (the bytes are computed
 * with the rounded scale, so decoding uses exactly the scale the encoder divided by). 8.5 bits a weight.
 * Immutable after loading; thread-safe for reading.
 */
final class Q8Matrix extends BlockQuantizedMatrix {
    Q8Matrix(int rows, int cols) {
        super(rows, cols, Kernels.BLOCK, "Q8");
    }

    @Override
    public Format format() {
        return Format.Q8;
    }

    @Override
    public void setRows(int r0, float[] src, int srcOff, int n) {
        int blocks = n * blocksPerRow;
        int firstBlock = r0 * blocksPerRow;
        for (int b = 0; b < blocks; b++) {
            int so = srcOff + b * Kernels.BLOCK;
            float amax = 0;
            for (int j = 0; j < Kernels.BLOCK; j++) {
                amax = Math.max(amax, Math.abs(src[so + j]));
            }
            short dh = Fp16.fromFloat(amax / 127f);
            float scale = Fp16.toFloat(dh);
            float inv = scale == 0 ? 0 : 1f / scale;
            int qo = (firstBlock + b) * Kernels.BLOCK;
            for (int j = 0; j < Kernels.BLOCK; j++) {
                int v = (int) Math.rint(src[so + j] * inv);
                q[qo + j] = (byte) Math.max(-127, Math.min(127, v));
            }
            d[firstBlock + b] = dh;
        }
    }

    @Override
    public void row(int r, float[] dst, int dstOff) {
        K.decodeQ8(q, d, r * blocksPerRow, blocksPerRow, dst, dstOff);
    }

    @Override
    public float dotRow(int r, float[] x, int xOff) {
        return K.dotQ8(q, d, r * blocksPerRow, x, xOff, blocksPerRow);
    }

    @Override
    public void matvec(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        K.matvecQ8(q, d, blocksPerRow, r0, r1, x, xOff, y, yOff);
    }
}
