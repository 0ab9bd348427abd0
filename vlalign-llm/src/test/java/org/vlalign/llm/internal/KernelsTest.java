package org.vlalign.llm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.vlalign.core.checkpoint.DtypeConversion;

/** Both kernel sets against sums written out in double precision, on odd lengths and offsets. */
class KernelsTest {
    private static final Kernels[] ALL = {KernelsProvider.scalar(), KernelsProvider.get()};

    @Test
    void should_use_the_vector_api_when_the_module_is_enabled() {
        boolean enabled = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertTrue(enabled, "the build runs tests with --add-modules jdk.incubator.vector");
        assertTrue(KernelsProvider.get().describe().startsWith("Vector API"), KernelsProvider.get().describe());
    }

    @Test
    void should_compute_float_dot_products_and_axpy() {
        SplittableRandom r = new SplittableRandom(1);
        for (int n : new int[] {1, 7, 16, 31, 64, 100, 4096}) {
            float[] a = random(r, n + 5);
            float[] b = random(r, n + 3);
            double want = 0;
            for (int i = 0; i < n; i++) {
                want += (double) a[i + 5] * b[i + 3];
            }
            for (Kernels k : ALL) {
                assertEquals(want, k.dot(a, 5, b, 3, n), 1e-5 * Math.sqrt(n) + 1e-6, k.describe() + " n=" + n);
                float[] y = b.clone();
                k.axpy(0.5f, a, 5, y, 3, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(b[i + 3] + 0.5f * a[i + 5], y[i + 3], 1e-6, k.describe());
                }
            }
        }
    }

    @Test
    void should_widen_bf16_and_f16_exactly_including_subnormals_and_infinities() {
        SplittableRandom r = new SplittableRandom(2);
        int n = 67;
        short[] bf = new short[n + 2];
        short[] f16 = new short[n + 2];
        for (int i = 0; i < bf.length; i++) {
            bf[i] = DtypeConversion.floatToBf16((float) r.nextGaussian());
            f16[i] = (short) r.nextInt(1 << 16);
        }
        f16[3] = 0x0001; // smallest subnormal
        f16[4] = (short) 0x83ff; // negative subnormal
        f16[5] = 0x7c00; // +inf
        f16[6] = (short) 0xfbff; // most negative finite
        for (int i = 0; i < f16.length; i++) {
            if (((f16[i] >> 10) & 0x1f) == 0x1f && (f16[i] & 0x3ff) != 0) {
                f16[i] = 0x3c00; // no NaNs in this test: they would poison the sum
            }
        }
        f16[5] = 0x3c00; // and no infinity in the sum either; checked alone below
        float[] x = random(r, n + 1);
        double wantBf = 0;
        double wantF16 = 0;
        for (int i = 0; i < n; i++) {
            wantBf += (double) Fp16.bf16ToFloat(bf[i + 2]) * x[i + 1];
            wantF16 += (double) Fp16.toFloat(f16[i + 2]) * x[i + 1];
        }
        for (Kernels k : ALL) {
            float[] decoded = new float[n];
            k.decode16(f16, 2, true, decoded, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Float.floatToIntBits(Fp16.toFloat(f16[i + 2])), Float.floatToIntBits(decoded[i]),
                        k.describe() + " f16 0x" + Integer.toHexString(f16[i + 2] & 0xffff));
            }
            k.decode16(bf, 2, false, decoded, 0, n);
            for (int i = 0; i < n; i++) {
                assertEquals(Fp16.bf16ToFloat(bf[i + 2]), decoded[i], k.describe() + " bf16");
            }
            assertEquals(wantBf, k.dot16(bf, 2, false, x, 1, n), 1e-4, k.describe());
            assertEquals(wantF16, k.dot16(f16, 2, true, x, 1, n), Math.abs(wantF16) * 1e-6 + 1e-3, k.describe());
            short[] inf = new short[32];
            inf[0] = 0x7c00;
            float[] ones = new float[32];
            java.util.Arrays.fill(ones, 1f);
            assertEquals(Float.POSITIVE_INFINITY, k.dot16(inf, 0, true, ones, 0, 32), k.describe());
        }
    }

    @Test
    void should_compute_q8_and_q4_blocks_as_their_decoded_values() {
        SplittableRandom r = new SplittableRandom(3);
        int blocks = 37;
        byte[] q8 = new byte[(blocks + 1) * 32];
        byte[] q4 = new byte[(blocks + 1) * 16];
        short[] d = new short[blocks + 1];
        r.nextBytes(q8);
        r.nextBytes(q4);
        for (int i = 0; i < d.length; i++) {
            d[i] = Fp16.fromFloat((float) r.nextDouble(0.001, 0.1));
        }
        float[] x = random(r, blocks * 32 + 4);
        double want8 = 0;
        double want4 = 0;
        for (int b = 0; b < blocks; b++) {
            double scale = Fp16.toFloat(d[b + 1]);
            for (int j = 0; j < 32; j++) {
                want8 += scale * q8[(b + 1) * 32 + j] * x[4 + b * 32 + j];
                int packed = q4[(b + 1) * 16 + (j % 16)];
                int nib = j < 16 ? packed & 0x0f : (packed >> 4) & 0x0f;
                want4 += scale * (nib - 8) * x[4 + b * 32 + j];
            }
        }
        for (Kernels k : ALL) {
            assertEquals(want8, k.dotQ8(q8, d, 1, x, 4, blocks), 1e-3, k.describe());
            assertEquals(want4, k.dotQ4(q4, d, 1, x, 4, blocks), 1e-3, k.describe());
            float[] d8 = new float[blocks * 32 + 3];
            float[] d4 = new float[blocks * 32 + 3];
            k.decodeQ8(q8, d, 1, blocks, d8, 3);
            k.decodeQ4(q4, d, 1, blocks, d4, 3);
            double got8 = 0;
            double got4 = 0;
            for (int i = 0; i < blocks * 32; i++) {
                got8 += (double) d8[3 + i] * x[4 + i];
                got4 += (double) d4[3 + i] * x[4 + i];
            }
            assertEquals(want8, got8, 1e-6, k.describe() + " decoded Q8");
            assertEquals(want4, got4, 1e-6, k.describe() + " decoded Q4");
        }
    }

    @Test
    void should_multiply_small_matrices_with_register_tiles_and_remainders() {
        SplittableRandom r = new SplittableRandom(6);
        for (int[] shape : new int[][] {{4, 4, 64}, {9, 7, 96}, {3, 2, 33}, {8, 12, 160}}) {
            int rows = shape[0];
            int n = shape[1];
            int k = shape[2];
            int ldw = k + 3;
            int ldx = k + 5;
            float[] w = random(r, 2 + rows * ldw);
            float[] x = random(r, 1 + n * ldx);
            for (Kernels kern : ALL) {
                float[] y = new float[n * (rows + 2) + 4];
                kern.gemm(w, 2, ldw, rows, x, 1, ldx, n, k, y, 4, rows + 2);
                for (int t = 0; t < n; t++) {
                    for (int i = 0; i < rows; i++) {
                        double want = 0;
                        for (int j = 0; j < k; j++) {
                            want += (double) w[2 + i * ldw + j] * x[1 + t * ldx + j];
                        }
                        assertEquals(want, y[4 + t * (rows + 2) + i], 1e-4, kern.describe() + " " + rows + "x" + n
                                + "x" + k + " at " + i + "," + t);
                    }
                }
            }
        }
    }

    @Test
    void should_stream_q8_and_q4_rows_like_their_decoded_values_for_every_shape() {
        SplittableRandom r = new SplittableRandom(11);
        for (int blocks : new int[] {1, 2, 3, 4, 24, 128}) {
            int cols = blocks * 32;
            for (int rows : new int[] {1, 4, 7, 13}) {
                byte[] q8 = new byte[rows * cols];
                byte[] q4 = new byte[rows * cols / 2];
                short[] d = new short[rows * blocks];
                for (int i = 0; i < q8.length; i++) {
                    q8[i] = (byte) (r.nextInt(255) - 127);
                }
                q8[0] = -127; // the extremes of both codes
                q8[q8.length - 1] = 127;
                r.nextBytes(q4);
                q4[0] = 0;
                q4[q4.length - 1] = (byte) 0xff;
                for (int i = 0; i < d.length; i++) {
                    d[i] = DtypeConversion.floatToHalf((float) (r.nextDouble() * 0.1 - 0.05));
                }
                float[] x = random(r, cols + 3);
                float[] row = new float[cols];
                for (Kernels k : ALL) {
                    float[] y8 = new float[rows + 2];
                    float[] y4 = new float[rows + 2];
                    k.matvecQ8(q8, d, blocks, 0, rows, x, 3, y8, 2);
                    k.matvecQ4(q4, d, blocks, 0, rows, x, 3, y4, 2);
                    for (int i = 0; i < rows; i++) {
                        double want8 = 0;
                        double want4 = 0;
                        double scale = 0;
                        KernelsProvider.scalar().decodeQ8(q8, d, i * blocks, blocks, row, 0);
                        for (int j = 0; j < cols; j++) {
                            want8 += (double) row[j] * x[3 + j];
                            scale += Math.abs((double) row[j] * x[3 + j]);
                        }
                        KernelsProvider.scalar().decodeQ4(q4, d, i * blocks, blocks, row, 0);
                        for (int j = 0; j < cols; j++) {
                            want4 += (double) row[j] * x[3 + j];
                        }
                        String where = k.describe() + " blocks=" + blocks + " rows=" + rows + " row " + i;
                        assertEquals(want8, y8[2 + i], 1e-5 * scale + 1e-6, "q8 " + where);
                        // the 256-bit kernel rounds the vector to 8-bit codes (checked exactly below)
                        double rounding = k.roundsQ4(blocks) ? StreamKernels.q4Error(q4, d, blocks, i, x, 3) : 0;
                        assertEquals(want4, y4[2 + i], 1e-5 * scale + 1e-6 + rounding, "q4 " + where);
                    }
                    float[] part = new float[rows];
                    k.matvecQ8(q8, d, blocks, 1, rows, x, 3, part, 0); // a range from an odd row
                    for (int i = 1; i < rows; i++) {
                        assertEquals(y8[2 + i], part[i - 1], 1e-4 * (1 + Math.abs(y8[2 + i])), "q8 from row 1, " + i);
                    }
                }
            }
        }
    }

    @Test
    void should_multiply_q4_rows_with_the_vector_rounded_to_8_bit_codes_exactly() {
        SplittableRandom r = new SplittableRandom(5);
        for (int blocks : new int[] {2, 4, 128}) {
            int cols = blocks * 32;
            for (int rows : new int[] {4, 7, 13}) {
                byte[] q4 = new byte[rows * cols / 2];
                r.nextBytes(q4);
                java.util.Arrays.fill(q4, 0, 16, (byte) 0xff); // row 0's first block: every nibble 15, then 0
                java.util.Arrays.fill(q4, 16, 32, (byte) 0);
                short[] d = new short[rows * blocks];
                for (int i = 0; i < d.length; i++) {
                    d[i] = DtypeConversion.floatToHalf((float) (r.nextDouble() * 0.1 - 0.05));
                }
                float[] x = random(r, cols + 1);
                java.util.Arrays.fill(x, 1 + 32, 1 + 64, 0f); // a block of zeros: its step is 0
                x[1] = 127f; // a code at the top of the grid
                x[2] = -3.5f;
                float[] y = new float[rows];
                StreamKernels.matvecQ4(q4, d, blocks, 0, rows, x, 1, y, 0);
                for (int i = 0; i < rows; i++) {
                    double want = 0;
                    double scale = 0;
                    for (int b = 0; b < blocks; b++) {
                        float amax = 0;
                        for (int j = 0; j < 32; j++) {
                            amax = Math.max(amax, Math.abs(x[1 + b * 32 + j]));
                        }
                        float step = amax / 127f;
                        long dot = 0;
                        for (int j = 0; j < 32; j++) {
                            int packed = q4[(i * blocks + b) * 16 + j % 16];
                            int nibble = j < 16 ? packed & 0xf : (packed >> 4) & 0xf;
                            long code = step == 0 ? 0 : Math.round(Math.rint(x[1 + b * 32 + j] * (1f / step)));
                            dot += (nibble - 8) * code;
                        }
                        double term = (double) dot * step * DtypeConversion.halfToFloat(d[i * blocks + b]);
                        want += term;
                        scale += Math.abs(term);
                    }
                    assertEquals(want, y[i], 1e-6 * scale + 1e-7, "blocks=" + blocks + " rows=" + rows + " row " + i);
                }
            }
        }
    }

    @Test
    void should_prepare_the_vector_again_when_it_changes_in_place_or_the_width_changes() {
        Assumptions.assumeTrue(KernelsProvider.get().roundsQ4(4), "the 256-bit kernels keep a prepared vector");
        SplittableRandom r = new SplittableRandom(17);
        int blocks = 4;
        int rows = 8;
        byte[] q8 = new byte[rows * blocks * 32];
        byte[] q4 = new byte[rows * blocks * 16];
        r.nextBytes(q8);
        r.nextBytes(q4);
        short[] d = new short[rows * blocks];
        java.util.Arrays.fill(d, DtypeConversion.floatToHalf(0.01f));
        float[] x = random(r, blocks * 32);
        float[] first8 = new float[rows];
        float[] first4 = new float[rows];
        StreamKernels.matvecQ8(q8, d, blocks, 0, rows, x, 0, first8, 0);
        StreamKernels.matvecQ4(q4, d, blocks, 0, rows, x, 0, first4, 0);
        x[77] += 1.5f; // the same array, one value changed: the next products must see it
        float[] again8 = new float[rows];
        float[] again4 = new float[rows];
        StreamKernels.matvecQ8(q8, d, blocks, 0, rows, x, 0, again8, 0);
        StreamKernels.matvecQ4(q4, d, blocks, 0, rows, x, 0, again4, 0);
        float[] fresh8 = new float[rows];
        float[] fresh4 = new float[rows];
        float[] copy = x.clone();
        StreamKernels.matvecQ8(q8, d, blocks, 0, rows, copy, 0, fresh8, 0);
        StreamKernels.matvecQ4(q4, d, blocks, 0, rows, copy, 0, fresh4, 0);
        for (int i = 0; i < rows; i++) {
            assertEquals(fresh8[i], again8[i], 0f, "q8 row " + i);
            assertEquals(fresh4[i], again4[i], 0f, "q4 row " + i);
            assertTrue(first8[i] != again8[i] || first4[i] != again4[i], "row " + i + " saw the change");
        }
        // the same array read at another width and offset: a different vector
        float[] half = new float[rows];
        StreamKernels.matvecQ8(q8, d, blocks / 2, 0, rows, x, 0, half, 0);
        float[] want = new float[rows];
        StreamKernels.matvecQ8(q8, d, blocks / 2, 0, rows, java.util.Arrays.copyOf(x, blocks * 16), 0, want, 0);
        assertEquals(java.util.Arrays.toString(want), java.util.Arrays.toString(half));
    }

    @Test
    void should_add_a_multiple_of_a_16_bit_vector() {
        SplittableRandom r = new SplittableRandom(12);
        for (int n : new int[] {1, 7, 16, 33, 128}) {
            short[] h = new short[n + 2];
            short[] bf = new short[n + 2];
            for (int i = 0; i < h.length; i++) {
                h[i] = DtypeConversion.floatToHalf((float) r.nextGaussian());
                bf[i] = DtypeConversion.floatToBf16((float) r.nextGaussian());
            }
            float[] y0 = random(r, n + 1);
            for (Kernels k : ALL) {
                float[] y = y0.clone();
                k.axpy16(0.75f, h, 2, true, y, 1, n);
                float[] z = y0.clone();
                k.axpy16(-0.5f, bf, 2, false, z, 1, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(y0[1 + i] + 0.75f * Fp16.toFloat(h[2 + i]), y[1 + i], 1e-6, k.describe() + " fp16");
                    assertEquals(y0[1 + i] - 0.5f * Fp16.bf16ToFloat(bf[2 + i]), z[1 + i], 1e-6, k.describe() + " bf16");
                }
                assertEquals(y0[0], y[0], "outside the range");
            }
        }
    }

    @Test
    void should_exponentiate_shifted_scores_and_sum_them_within_float_rounding() {
        SplittableRandom r = new SplittableRandom(21);
        for (int n : new int[] {1, 7, 8, 17, 64, 301}) {
            float[] x0 = random(r, n);
            x0[n / 2] = -120f; // underflows to 0
            float max = Float.NEGATIVE_INFINITY;
            for (float v : x0) {
                max = Math.max(max, v);
            }
            for (Kernels k : ALL) {
                float[] x = x0.clone();
                float sum = k.expShifted(x, n, max);
                double want = 0;
                for (int i = 0; i < n; i++) {
                    double e = Math.exp(x0[i] - max); // the difference in float, as the kernel takes it
                    assertEquals(e, x[i], 3e-7 * e + 1e-30, k.describe() + " n=" + n + " i=" + i);
                    want += e;
                }
                assertEquals(want, sum, 1e-6 * want, k.describe() + " sum, n=" + n);
            }
        }
    }

    @Test
    void should_gate_with_silu_within_float_rounding_including_saturated_inputs() {
        SplittableRandom r = new SplittableRandom(22);
        for (int n : new int[] {1, 9, 16, 33, 2048}) {
            float[] g0 = random(r, n);
            float[] up = random(r, n);
            g0[0] = 100f; // silu(x) = x
            g0[n - 1] = -100f; // exp(100) overflows to infinity: silu(x) = -0
            for (Kernels k : ALL) {
                float[] g = g0.clone();
                k.siluMul(g, up, n);
                for (int i = 0; i < n; i++) {
                    double want = g0[i] / (1 + Math.exp(-(double) g0[i])) * up[i];
                    assertEquals(want, g[i], 1e-6 * Math.abs(want) + 1e-30, k.describe() + " n=" + n + " i=" + i);
                }
            }
        }
    }

    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }
}
