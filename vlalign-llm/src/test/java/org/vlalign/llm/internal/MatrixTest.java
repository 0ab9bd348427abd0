package org.vlalign.llm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

/** Encoding errors of each format, and that every product equals the product of the decoded rows. */
class MatrixTest {

    @Test
    void should_bound_the_error_of_each_format_by_its_step() {
        SplittableRandom r = new SplittableRandom(4);
        int rows = 24;
        int cols = 96;
        float[] w = KernelsTest.random(r, rows * cols);
        for (Matrix.Format f : Matrix.Format.values()) {
            Matrix m = Matrix.allocate(f, rows, cols);
            m.setRows(0, w, 0, rows);
            float[] row = new float[cols];
            for (int i = 0; i < rows; i++) {
                m.row(i, row, 0);
                for (int b = 0; b < cols / 32; b++) {
                    float amax = 0;
                    for (int j = 0; j < 32; j++) {
                        amax = Math.max(amax, Math.abs(w[i * cols + b * 32 + j]));
                    }
                    double bound = switch (f) {
                        case F32 -> 0;
                        case BF16 -> amax / 256.0;
                        case F16 -> amax / 2048.0;
                        case Q8 -> amax / 127.0 * 0.5 * 1.002;
                        // the extreme maps to level -8 exactly; the opposite side stops at +7, one step short
                        case Q4 -> amax / 8.0 * 1.002 + 1e-7;
                    };
                    for (int j = 0; j < 32; j++) {
                        int at = b * 32 + j;
                        assertTrue(Math.abs(row[at] - w[i * cols + at]) <= bound + 1e-7,
                                f + " row " + i + " col " + at + ": " + row[at] + " vs " + w[i * cols + at]);
                    }
                }
            }
            assertEquals(f.bitsPerWeight() * rows * cols / 8, m.bytes(), 1e-9, f + " bytes");
        }
    }

    @Test
    void should_map_the_largest_q4_weight_to_its_exact_value() {
        float[] w = new float[32];
        for (int j = 0; j < 32; j++) {
            w[j] = j - 10; // largest magnitude: 21, positive
        }
        Matrix m = Matrix.allocate(Matrix.Format.Q4, 1, 32);
        m.setRows(0, w, 0, 1);
        float[] row = new float[32];
        m.row(0, row, 0);
        assertEquals(21f, row[31], 21f * 1e-3f, "the extreme value maps to level -8 of a negative scale");
    }

    @Test
    void should_multiply_like_the_decoded_rows_for_one_and_many_vectors() {
        SplittableRandom r = new SplittableRandom(5);
        int rows = 40;
        int cols = 64;
        float[] w = KernelsTest.random(r, rows * cols);
        int n = 5;
        float[] x = KernelsTest.random(r, n * cols);
        for (Matrix.Format f : Matrix.Format.values()) {
            Matrix m = Matrix.allocate(f, rows, cols);
            m.setRows(0, w, 0, rows);
            float[] y = new float[n * rows];
            m.matmul(x, cols, n, y, rows, 3, 3, 30, new float[Matrix.scratchSize(cols)]);
            float[] one = new float[rows];
            m.matvec(x, cols, one, 0, 0, rows); // vector 1 alone
            float[] part = new float[rows];
            m.matvec(x, cols, part, 2, 1, 38); // a range that is not whole groups of four rows, at an offset
            for (int i = 1; i < 38; i++) {
                assertEquals(one[i], part[i + 1], 1e-5, f + " matvec over rows 1..37, row " + i);
            }
            float[] row = new float[cols];
            for (int i = 3; i < 30; i++) {
                m.row(i, row, 0);
                for (int t = 0; t < n; t++) {
                    double want = 0;
                    for (int j = 0; j < cols; j++) {
                        want += (double) row[j] * x[t * cols + j];
                    }
                    assertEquals(want, y[t * rows + i], 1e-4, f + " row " + i + " vector " + t);
                }
                // a Q4 matvec may round the vector to 8-bit codes (KernelsTest checks that exactly)
                double rounding = m instanceof Q4Matrix && Matrix.K.roundsQ4(cols / Kernels.BLOCK)
                        ? StreamKernels.q4Error(((Q4Matrix) m).q, ((Q4Matrix) m).d, cols / Kernels.BLOCK, i, x, cols)
                        : 0;
                assertEquals(y[rows + i], one[i], 1e-4 + rounding, f + " matvec row " + i);
            }
        }
    }

    @Test
    void should_refuse_blocked_formats_for_columns_that_are_not_a_multiple_of_32() {
        assertThrows(InvalidArgumentException.class, () -> Matrix.allocate(Matrix.Format.Q8, 2, 40));
        assertTrue(Matrix.fits(Matrix.Format.BF16, 40));
        assertTrue(!Matrix.fits(Matrix.Format.Q4, 40));
    }
}
