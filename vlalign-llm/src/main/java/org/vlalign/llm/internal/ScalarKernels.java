package org.vlalign.llm.internal;

/**
 * {@link Kernels} in plain Java: the fallback when the Vector API is not enabled. Four independent
 * accumulators let the CPU overlap the additions. Stateless and thread-safe.
 */
final class ScalarKernels implements Kernels {

    @Override
    public String describe() {
        return "scalar";
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[aOff + i] * b[bOff + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public float dot16(short[] w, int wOff, boolean f16, float[] x, int xOff, int n) {
        float s0 = 0;
        float s1 = 0;
        int i = 0;
        if (f16) {
            for (; i + 1 < n; i += 2) {
                s0 += Fp16.toFloat(w[wOff + i]) * x[xOff + i];
                s1 += Fp16.toFloat(w[wOff + i + 1]) * x[xOff + i + 1];
            }
            for (; i < n; i++) {
                s0 += Fp16.toFloat(w[wOff + i]) * x[xOff + i];
            }
        } else {
            for (; i + 1 < n; i += 2) {
                s0 += Fp16.bf16ToFloat(w[wOff + i]) * x[xOff + i];
                s1 += Fp16.bf16ToFloat(w[wOff + i + 1]) * x[xOff + i + 1];
            }
            for (; i < n; i++) {
                s0 += Fp16.bf16ToFloat(w[wOff + i]) * x[xOff + i];
            }
        }
        return s0 + s1;
    }

    @Override
    public float dotQ8(byte[] q, short[] d, int block, float[] x, int xOff, int nBlocks) {
        float sum = 0;
        for (int b = 0; b < nBlocks; b++) {
            int qo = (block + b) * BLOCK;
            int xo = xOff + b * BLOCK;
            float s0 = 0;
            float s1 = 0;
            for (int j = 0; j < BLOCK; j += 2) {
                s0 += q[qo + j] * x[xo + j];
                s1 += q[qo + j + 1] * x[xo + j + 1];
            }
            sum += Fp16.toFloat(d[block + b]) * (s0 + s1);
        }
        return sum;
    }

    @Override
    public float dotQ4(byte[] q, short[] d, int block, float[] x, int xOff, int nBlocks) {
        float sum = 0;
        for (int b = 0; b < nBlocks; b++) {
            int qo = (block + b) * (BLOCK / 2);
            int xo = xOff + b * BLOCK;
            float s0 = 0;
            float s1 = 0;
            for (int j = 0; j < BLOCK / 2; j++) {
                int v = q[qo + j];
                s0 += ((v & 0x0f) - 8) * x[xo + j];
                s1 += (((v >> 4) & 0x0f) - 8) * x[xo + j + BLOCK / 2];
            }
            sum += Fp16.toFloat(d[block + b]) * (s0 + s1);
        }
        return sum;
    }

    @Override
    public void decodeQ8(byte[] q, short[] d, int block, int nBlocks, float[] dst, int dstOff) {
        for (int b = 0; b < nBlocks; b++) {
            float scale = Fp16.toFloat(d[block + b]);
            int qo = (block + b) * BLOCK;
            for (int j = 0; j < BLOCK; j++) {
                dst[dstOff + b * BLOCK + j] = scale * q[qo + j];
            }
        }
    }

    @Override
    public void decodeQ4(byte[] q, short[] d, int block, int nBlocks, float[] dst, int dstOff) {
        for (int b = 0; b < nBlocks; b++) {
            float scale = Fp16.toFloat(d[block + b]);
            int qo = (block + b) * (BLOCK / 2);
            int o = dstOff + b * BLOCK;
            for (int j = 0; j < BLOCK / 2; j++) {
                int v = q[qo + j];
                dst[o + j] = scale * ((v & 0x0f) - 8);
                dst[o + j + BLOCK / 2] = scale * (((v >> 4) & 0x0f) - 8);
            }
        }
    }

    @Override
    public void decode16(short[] w, int wOff, boolean f16, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOff + i] = f16 ? Fp16.toFloat(w[wOff + i]) : Fp16.bf16ToFloat(w[wOff + i]);
        }
    }

    @Override
    public void gemm(float[] w, int wOff, int ldw, int rows, float[] x, int xOff, int ldx, int n, int k, float[] y,
            int yOff, int ldy) {
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                y[yOff + t * ldy + r] = dot(w, wOff + r * ldw, x, xOff + t * ldx, k);
            }
        }
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    @Override
    public void axpy16(float a, short[] x, int xOff, boolean f16, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] += a * (f16 ? Fp16.toFloat(x[xOff + i]) : Fp16.bf16ToFloat(x[xOff + i]));
        }
    }

    @Override
    public float expShifted(float[] x, int n, float max) {
        return expShifted(x, 0, n, max);
    }

    /** {@link #expShifted} from {@code from} on (the vector kernels' tail); returns the sum of those results. */
    static float expShifted(float[] x, int from, int n, float max) {
        float sum = 0;
        for (int i = from; i < n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        return sum;
    }

    @Override
    public void siluMul(float[] gate, float[] up, int n) {
        siluMul(gate, up, 0, n);
    }

    /** {@link #siluMul} from {@code from} on (the vector kernels' tail). */
    static void siluMul(float[] gate, float[] up, int from, int n) {
        for (int i = from; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }
}
