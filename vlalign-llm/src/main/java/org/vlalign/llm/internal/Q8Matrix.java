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
    float scale(float[] src, int so) {
        float amax = 0;
        for (int j = 0; j < Kernels.BLOCK; j++) {
            amax = Math.max(amax, Math.abs(src[so + j]));
        }
        return amax / 127f;
    }

    @Override
    void encode(float[] src, int so, float inv, int qo) {
        for (int j = 0; j < Kernels.BLOCK; j++) {
            int v = (int) Math.rint(src[so + j] * inv);
            q[qo + j] = (byte) Math.max(-127, Math.min(127, v));
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
