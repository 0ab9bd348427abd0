package org.vlalign.llm.internal;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels} on the Java Vector API at the CPU's preferred width (16 floats with AVX-512, 8 with
 * AVX2, 4 with NEON). Quantised weights are widened to floats in registers, block by block, and never
 * stored wider: the loops read exactly the weights' bytes, so batch-1 decoding runs at the memory's speed.
 *
 * <p>Only the array forms of the API are used, which exist unchanged from the Java 17 incubator to the
 * current one, so one class file serves every supported JDK. Loaded only when the
 * {@code jdk.incubator.vector} module is present (see {@link KernelsProvider}). Stateless and thread-safe.
 */
final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    /** Byte loads for Q8: one float vector's worth of bytes, at least the smallest shape (64 bits). */
    private static final VectorSpecies<Byte> B8 = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, L * 8)));
    private static final int B8_PARTS = B8.length() / L;
    /** Byte loads for Q4: one block's 16 bytes. */
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final int B16_PARTS = 16 / L;
    private static final float TWO_POW_112 = 0x1p112f;

    VectorKernels() {
        if (L != 4 && L != 8 && L != 16) {
            throw new IllegalStateException("unsupported vector width: " + F);
        }
    }

    @Override
    public String describe() {
        return "Vector API " + F.vectorBitSize() + "-bit (" + L + " floats)";
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        FloatVector s2 = FloatVector.zero(F);
        FloatVector s3 = FloatVector.zero(F);
        int i = 0;
        int bound4 = n - 4 * L;
        for (; i <= bound4; i += 4 * L) {
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
            s1 = FloatVector.fromArray(F, a, aOff + i + L).fma(FloatVector.fromArray(F, b, bOff + i + L), s1);
            s2 = FloatVector.fromArray(F, a, aOff + i + 2 * L).fma(FloatVector.fromArray(F, b, bOff + i + 2 * L), s2);
            s3 = FloatVector.fromArray(F, a, aOff + i + 3 * L).fma(FloatVector.fromArray(F, b, bOff + i + 3 * L), s3);
        }
        for (; i <= n - L; i += L) {
            s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
        }
        float sum = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    @Override
    public float dot16(short[] w, int wOff, boolean f16, float[] x, int xOff, int n) {
        FloatVector s0 = FloatVector.zero(F);
        FloatVector s1 = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - 2 * L; i += 2 * L) {
            s0 = widen(w, wOff + i, f16).fma(FloatVector.fromArray(F, x, xOff + i), s0);
            s1 = widen(w, wOff + i + L, f16).fma(FloatVector.fromArray(F, x, xOff + i + L), s1);
        }
        for (; i <= n - L; i += L) {
            s0 = widen(w, wOff + i, f16).fma(FloatVector.fromArray(F, x, xOff + i), s0);
        }
        float sum = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += (f16 ? Fp16.toFloat(w[wOff + i]) : Fp16.bf16ToFloat(w[wOff + i])) * x[xOff + i];
        }
        return sum;
    }

    /** L 16-bit weights as floats: bf16 is the top half of a float; fp16 is rebiased (×2^112) with inf/NaN kept. */
    private static FloatVector widen(short[] w, int off, boolean f16) {
        IntVector h = (IntVector) ShortVector.fromArray(S, w, off).convertShape(VectorOperators.S2I, I, 0);
        if (!f16) {
            return (FloatVector) h.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
        }
        IntVector em = h.and(0x7fff);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        FloatVector mag = ((FloatVector) shifted.reinterpretShape(F, 0)).mul(TWO_POW_112); // normals and subnormals
        VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7c00);
        IntVector bits = ((IntVector) mag.reinterpretShape(I, 0)).blend(shifted.or(0x7f800000), special); // inf, NaN
        return (FloatVector) bits.or(sign).reinterpretShape(F, 0);
    }

    // The quantised kernels below keep every vector inside one method: a vector returned from a helper that
    // the JIT does not inline is boxed on the heap, which costs more than the arithmetic.

    @Override
    public float dotQ8(byte[] q, short[] d, int block, float[] x, int xOff, int nBlocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nBlocks; b++) {
            int qo = (block + b) * BLOCK;
            int xo = xOff + b * BLOCK;
            FloatVector s = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += B8.length()) {
                ByteVector bytes = ByteVector.fromArray(B8, q, qo + j);
                for (int p = 0; p < B8_PARTS; p++) {
                    s = ((FloatVector) bytes.convertShape(VectorOperators.B2F, F, p))
                            .fma(FloatVector.fromArray(F, x, xo + j + p * L), s);
                }
            }
            acc = s.fma(FloatVector.broadcast(F, Fp16.toFloat(d[block + b])), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dotQ8x4(byte[] q, short[] d, int block, int nBlocks, float[] x, int xOff, float[] y, int yOff) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int rowBytes = nBlocks * BLOCK;
        for (int b = 0; b < nBlocks; b++) {
            int qo = (block + b) * BLOCK;
            int xo = xOff + b * BLOCK;
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            FloatVector s2 = FloatVector.zero(F);
            FloatVector s3 = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += B8.length()) {
                ByteVector q0 = ByteVector.fromArray(B8, q, qo + j);
                ByteVector q1 = ByteVector.fromArray(B8, q, qo + rowBytes + j);
                ByteVector q2 = ByteVector.fromArray(B8, q, qo + 2 * rowBytes + j);
                ByteVector q3 = ByteVector.fromArray(B8, q, qo + 3 * rowBytes + j);
                for (int p = 0; p < B8_PARTS; p++) {
                    FloatVector xv = FloatVector.fromArray(F, x, xo + j + p * L);
                    s0 = ((FloatVector) q0.convertShape(VectorOperators.B2F, F, p)).fma(xv, s0);
                    s1 = ((FloatVector) q1.convertShape(VectorOperators.B2F, F, p)).fma(xv, s1);
                    s2 = ((FloatVector) q2.convertShape(VectorOperators.B2F, F, p)).fma(xv, s2);
                    s3 = ((FloatVector) q3.convertShape(VectorOperators.B2F, F, p)).fma(xv, s3);
                }
            }
            int db = block + b;
            acc0 = s0.fma(FloatVector.broadcast(F, Fp16.toFloat(d[db])), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, Fp16.toFloat(d[db + nBlocks])), acc1);
            acc2 = s2.fma(FloatVector.broadcast(F, Fp16.toFloat(d[db + 2 * nBlocks])), acc2);
            acc3 = s3.fma(FloatVector.broadcast(F, Fp16.toFloat(d[db + 3 * nBlocks])), acc3);
        }
        y[yOff] = acc0.reduceLanes(VectorOperators.ADD);
        y[yOff + 1] = acc1.reduceLanes(VectorOperators.ADD);
        y[yOff + 2] = acc2.reduceLanes(VectorOperators.ADD);
        y[yOff + 3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    // Q4 nibbles are unpacked on int lanes: x86 has no byte shift, so a shift on byte lanes is emulated.

    @Override
    public float dotQ4(byte[] q, short[] d, int block, float[] x, int xOff, int nBlocks) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nBlocks; b++) {
            ByteVector packed = ByteVector.fromArray(B16, q, (block + b) * (BLOCK / 2));
            int xo = xOff + b * BLOCK;
            FloatVector s = FloatVector.zero(F);
            for (int p = 0; p < B16_PARTS; p++) {
                IntVector v = (IntVector) packed.convertShape(VectorOperators.B2I, I, p);
                FloatVector lo = (FloatVector) v.and(0x0f).sub(8).convertShape(VectorOperators.I2F, F, 0);
                FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(0x0f).sub(8)
                        .convertShape(VectorOperators.I2F, F, 0);
                s = lo.fma(FloatVector.fromArray(F, x, xo + p * L), s);
                s = hi.fma(FloatVector.fromArray(F, x, xo + 16 + p * L), s);
            }
            acc = s.fma(FloatVector.broadcast(F, Fp16.toFloat(d[block + b])), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void dotQ4x4(byte[] q, short[] d, int block, int nBlocks, float[] x, int xOff, float[] y, int yOff) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int rowBytes = nBlocks * (BLOCK / 2);
        for (int b = 0; b < nBlocks; b++) {
            int qo = (block + b) * (BLOCK / 2);
            int xo = xOff + b * BLOCK;
            ByteVector p0 = ByteVector.fromArray(B16, q, qo);
            ByteVector p1 = ByteVector.fromArray(B16, q, qo + rowBytes);
            ByteVector p2 = ByteVector.fromArray(B16, q, qo + 2 * rowBytes);
            ByteVector p3 = ByteVector.fromArray(B16, q, qo + 3 * rowBytes);
            FloatVector s0 = FloatVector.zero(F);
            FloatVector s1 = FloatVector.zero(F);
            FloatVector s2 = FloatVector.zero(F);
            FloatVector s3 = FloatVector.zero(F);
            for (int p = 0; p < B16_PARTS; p++) {
                FloatVector xl = FloatVector.fromArray(F, x, xo + p * L);
                FloatVector xh = FloatVector.fromArray(F, x, xo + 16 + p * L);
                IntVector v0 = (IntVector) p0.convertShape(VectorOperators.B2I, I, p);
                IntVector v1 = (IntVector) p1.convertShape(VectorOperators.B2I, I, p);
                IntVector v2 = (IntVector) p2.convertShape(VectorOperators.B2I, I, p);
                IntVector v3 = (IntVector) p3.convertShape(VectorOperators.B2I, I, p);
                s0 = ((FloatVector) v0.and(0x0f).sub(8).convertShape(VectorOperators.I2F, F, 0)).fma(xl, s0);
                s1 = ((FloatVector) v1.and(0x0f).sub(8).convertShape(VectorOperators.I2F, F, 0)).fma(xl, s1);
                s2 = ((FloatVector) v2.and(0x0f).sub(8).convertShape(VectorOperators.I2F, F, 0)).fma(xl, s2);
                s3 = ((FloatVector) v3.and(0x0f).sub(8).convertShape(VectorOperators.I2F, F, 0)).fma(xl, s3);
                s0 = ((FloatVector) v0.lanewise(VectorOperators.LSHR, 4).and(0x0f).sub(8)
                        .convertShape(VectorOperators.I2F, F, 0)).fma(xh, s0);
                s1 = ((FloatVector) v1.lanewise(VectorOperators.LSHR, 4).and(0x0f).sub(8)
                        .convertShape(VectorOperators.I2F, F, 0)).fma(xh, s1);
                s2 = ((FloatVector) v2.lanewise(VectorOperators.LSHR, 4).and(0x0f).sub(8)
                        .convertShape(VectorOperators.I2F, F, 0)).fma(xh, s2);
                s3 = ((FloatVector) v3.lanewise(VectorOperators.LSHR, 4).and(0x0f).sub(8)
                        .convertShape(VectorOperators.I2F, F, 0)).fma(xh, s3);
            }
            int db = block + b;
            acc0 = s0.fma(FloatVector.broadcast(F, Fp16.toFloat(d[db])), acc0);
            acc1 = s1.fma(FloatVector.broadcast(F, Fp16.toFloat(d[db + nBlocks])), acc1);
            acc2 = s2.fma(FloatVector.broadcast(F, Fp16.toFloat(d[db + 2 * nBlocks])), acc2);
            acc3 = s3.fma(FloatVector.broadcast(F, Fp16.toFloat(d[db + 3 * nBlocks])), acc3);
        }
        y[yOff] = acc0.reduceLanes(VectorOperators.ADD);
        y[yOff + 1] = acc1.reduceLanes(VectorOperators.ADD);
        y[yOff + 2] = acc2.reduceLanes(VectorOperators.ADD);
        y[yOff + 3] = acc3.reduceLanes(VectorOperators.ADD);
    }

    /** Whether the 256-bit {@link StreamKernels} serve batch-1 products (AVX2 and wider, not 128-bit NEON). */
    private static final boolean STREAM = L >= 8;

    @Override
    public void matvecQ8(byte[] q, short[] d, int blocksPerRow, int r0, int r1, float[] x, int xOff, float[] y,
            int yOff) {
        if (STREAM) {
            StreamKernels.matvecQ8(q, d, blocksPerRow, r0, r1, x, xOff, y, yOff);
        } else {
            Kernels.super.matvecQ8(q, d, blocksPerRow, r0, r1, x, xOff, y, yOff);
        }
    }

    @Override
    public void matvecQ4(byte[] q, short[] d, int blocksPerRow, int r0, int r1, float[] x, int xOff, float[] y,
            int yOff) {
        if (roundsQ4(blocksPerRow)) {
            StreamKernels.matvecQ4(q, d, blocksPerRow, r0, r1, x, xOff, y, yOff);
        } else {
            Kernels.super.matvecQ4(q, d, blocksPerRow, r0, r1, x, xOff, y, yOff);
        }
    }

    @Override
    public boolean roundsQ4(int blocksPerRow) {
        return STREAM && StreamKernels.fitsQ4(blocksPerRow);
    }

    @Override
    public void decodeQ8(byte[] q, short[] d, int block, int nBlocks, float[] dst, int dstOff) {
        for (int b = 0; b < nBlocks; b++) {
            FloatVector scale = FloatVector.broadcast(F, Fp16.toFloat(d[block + b]));
            int qo = (block + b) * BLOCK;
            int o = dstOff + b * BLOCK;
            for (int j = 0; j < BLOCK; j += B8.length()) {
                ByteVector bytes = ByteVector.fromArray(B8, q, qo + j);
                for (int p = 0; p < B8_PARTS; p++) {
                    ((FloatVector) bytes.convertShape(VectorOperators.B2F, F, p)).mul(scale)
                            .intoArray(dst, o + j + p * L);
                }
            }
        }
    }

    @Override
    public void decodeQ4(byte[] q, short[] d, int block, int nBlocks, float[] dst, int dstOff) {
        for (int b = 0; b < nBlocks; b++) {
            FloatVector scale = FloatVector.broadcast(F, Fp16.toFloat(d[block + b]));
            ByteVector packed = ByteVector.fromArray(B16, q, (block + b) * (BLOCK / 2));
            int o = dstOff + b * BLOCK;
            for (int p = 0; p < B16_PARTS; p++) {
                IntVector v = (IntVector) packed.convertShape(VectorOperators.B2I, I, p);
                ((FloatVector) v.and(0x0f).sub(8).convertShape(VectorOperators.I2F, F, 0)).mul(scale)
                        .intoArray(dst, o + p * L);
                ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(0x0f).sub(8)
                        .convertShape(VectorOperators.I2F, F, 0))
                        .mul(scale).intoArray(dst, o + 16 + p * L);
            }
        }
    }

    @Override
    public void decode16(short[] w, int wOff, boolean f16, float[] dst, int dstOff, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            widen(w, wOff + i, f16).intoArray(dst, dstOff + i);
        }
        for (; i < n; i++) {
            dst[dstOff + i] = f16 ? Fp16.toFloat(w[wOff + i]) : Fp16.bf16ToFloat(w[wOff + i]);
        }
    }

    @Override
    public void gemm(float[] w, int wOff, int ldw, int rows, float[] x, int xOff, int ldx, int n, int k, float[] y,
            int yOff, int ldy) {
        int r = 0;
        if (k % L == 0) {
            for (; r + 4 <= rows; r += 4) {
                int t = 0;
                for (; t + 4 <= n; t += 4) {
                    tile4x4(w, wOff + r * ldw, ldw, x, xOff + t * ldx, ldx, k, y, yOff + t * ldy + r, ldy);
                }
                for (; t < n; t++) {
                    for (int i = 0; i < 4; i++) {
                        y[yOff + t * ldy + r + i] = dot(w, wOff + (r + i) * ldw, x, xOff + t * ldx, k);
                    }
                }
            }
        }
        for (; r < rows; r++) {
            for (int t = 0; t < n; t++) {
                y[yOff + t * ldy + r] = dot(w, wOff + r * ldw, x, xOff + t * ldx, k);
            }
        }
    }

    /** Four rows by four vectors: sixteen accumulators, eight loads for every sixteen multiply-adds. */
    private static void tile4x4(float[] w, int wOff, int ldw, float[] x, int xOff, int ldx, int k, float[] y, int yOff,
            int ldy) {
        FloatVector a00 = FloatVector.zero(F);
        FloatVector a01 = FloatVector.zero(F);
        FloatVector a02 = FloatVector.zero(F);
        FloatVector a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F);
        FloatVector a11 = FloatVector.zero(F);
        FloatVector a12 = FloatVector.zero(F);
        FloatVector a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F);
        FloatVector a21 = FloatVector.zero(F);
        FloatVector a22 = FloatVector.zero(F);
        FloatVector a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F);
        FloatVector a31 = FloatVector.zero(F);
        FloatVector a32 = FloatVector.zero(F);
        FloatVector a33 = FloatVector.zero(F);
        for (int i = 0; i < k; i += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, wOff + i);
            FloatVector w1 = FloatVector.fromArray(F, w, wOff + ldw + i);
            FloatVector w2 = FloatVector.fromArray(F, w, wOff + 2 * ldw + i);
            FloatVector w3 = FloatVector.fromArray(F, w, wOff + 3 * ldw + i);
            FloatVector x0 = FloatVector.fromArray(F, x, xOff + i);
            a00 = w0.fma(x0, a00);
            a10 = w1.fma(x0, a10);
            a20 = w2.fma(x0, a20);
            a30 = w3.fma(x0, a30);
            FloatVector x1 = FloatVector.fromArray(F, x, xOff + ldx + i);
            a01 = w0.fma(x1, a01);
            a11 = w1.fma(x1, a11);
            a21 = w2.fma(x1, a21);
            a31 = w3.fma(x1, a31);
            FloatVector x2 = FloatVector.fromArray(F, x, xOff + 2 * ldx + i);
            a02 = w0.fma(x2, a02);
            a12 = w1.fma(x2, a12);
            a22 = w2.fma(x2, a22);
            a32 = w3.fma(x2, a32);
            FloatVector x3 = FloatVector.fromArray(F, x, xOff + 3 * ldx + i);
            a03 = w0.fma(x3, a03);
            a13 = w1.fma(x3, a13);
            a23 = w2.fma(x3, a23);
            a33 = w3.fma(x3, a33);
        }
        y[yOff] = a00.reduceLanes(VectorOperators.ADD);
        y[yOff + 1] = a10.reduceLanes(VectorOperators.ADD);
        y[yOff + 2] = a20.reduceLanes(VectorOperators.ADD);
        y[yOff + 3] = a30.reduceLanes(VectorOperators.ADD);
        y[yOff + ldy] = a01.reduceLanes(VectorOperators.ADD);
        y[yOff + ldy + 1] = a11.reduceLanes(VectorOperators.ADD);
        y[yOff + ldy + 2] = a21.reduceLanes(VectorOperators.ADD);
        y[yOff + ldy + 3] = a31.reduceLanes(VectorOperators.ADD);
        y[yOff + 2 * ldy] = a02.reduceLanes(VectorOperators.ADD);
        y[yOff + 2 * ldy + 1] = a12.reduceLanes(VectorOperators.ADD);
        y[yOff + 2 * ldy + 2] = a22.reduceLanes(VectorOperators.ADD);
        y[yOff + 2 * ldy + 3] = a32.reduceLanes(VectorOperators.ADD);
        y[yOff + 3 * ldy] = a03.reduceLanes(VectorOperators.ADD);
        y[yOff + 3 * ldy + 1] = a13.reduceLanes(VectorOperators.ADD);
        y[yOff + 3 * ldy + 2] = a23.reduceLanes(VectorOperators.ADD);
        y[yOff + 3 * ldy + 3] = a33.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        FloatVector av = FloatVector.broadcast(F, a);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector.fromArray(F, x, xOff + i).fma(av, FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    @Override
    public void axpy16(float a, short[] x, int xOff, boolean f16, float[] y, int yOff, int n) {
        FloatVector av = FloatVector.broadcast(F, a);
        int i = 0;
        for (; i <= n - L; i += L) {
            widen(x, xOff + i, f16).fma(av, FloatVector.fromArray(F, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * (f16 ? Fp16.toFloat(x[xOff + i]) : Fp16.bf16ToFloat(x[xOff + i]));
        }
    }

    @Override
    public float expShifted(float[] x, int n, float max) {
        FloatVector m = FloatVector.broadcast(F, max);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector e = FloatVector.fromArray(F, x, i).sub(m).lanewise(VectorOperators.EXP);
            e.intoArray(x, i);
            acc = acc.add(e);
        }
        return acc.reduceLanes(VectorOperators.ADD) + ScalarKernels.expShifted(x, i, n, max);
    }

    @Override
    public void siluMul(float[] gate, float[] up, int n) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector e = g.neg().lanewise(VectorOperators.EXP).add(1f);
            g.div(e).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        ScalarKernels.siluMul(gate, up, i, n);
    }
}
