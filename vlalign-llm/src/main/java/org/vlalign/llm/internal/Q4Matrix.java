package org.vlalign.llm.internal;

/**
 * A 4-bit {@link Matrix}: blocks of 32 weights as 16 bytes of nibbles (low nibble weight {@code j}, high
 * nibble weight {@code j + 16}) and one fp16 scale, {@code weight = d · (nibble − 8)}. The scale is chosen
 * so the weight of largest magnitude maps to −8 exactly ({@code d = w_max / −8}); the rest round to the
 * nearest of the 16 levels. 4.5 bits a weight. Immutable after loading; thread-safe for reading.
 */
final class Q4Matrix extends BlockQuantizedMatrix {
    private static final int HALF = Kernels.BLOCK / 2;

    Q4Matrix(int rows, int cols) {
        super(rows, cols, HALF, "Q4");
    }

    @Override
    public Format format() {
        return Format.Q4;
    }

    @Override
    float scale(float[] src, int so) {
        float max = 0; // the value of largest magnitude, with its sign
        for (int j = 0; j < Kernels.BLOCK; j++) {
            if (Math.abs(src[so + j]) > Math.abs(max)) {
                max = src[so + j];
            }
        }
        return max / -8f;
    }

    @Override
    void encode(float[] src, int so, float inv, int qo) {
        for (int j = 0; j < HALF; j++) {
            int lo = nibble(src[so + j] * inv);
            int hi = nibble(src[so + j + HALF] * inv);
            q[qo + j] = (byte) (lo | (hi << 4));
        }
    }

    private static int nibble(float scaled) {
        return Math.max(0, Math.min(15, (int) Math.rint(scaled) + 8));
    }

    @Override
    public void row(int r, float[] dst, int dstOff) {
        K.decodeQ4(q, d, r * blocksPerRow, blocksPerRow, dst, dstOff);
    }

    @Override
    public float dotRow(int r, float[] x, int xOff) {
        return K.dotQ4(q, d, r * blocksPerRow, x, xOff, blocksPerRow);
    }

    @Override
    public void matvec(float[] x, int xOff, float[] y, int yOff, int r0, int r1) {
        K.matvecQ4(q, d, blocksPerRow, r0, r1, x, xOff, y, yOff);
    }
}
