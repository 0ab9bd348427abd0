package org.vlalign.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.vlalign.UnsupportedModelException;

class PillowResizeTest {

    @Test
    void should_return_identical_image_when_size_is_unchanged() {
        RgbImage image = random(37, 23, new Random(1));
        for (PillowResize.Filter f : PillowResize.Filter.values()) {
            assertEquals(image, PillowResize.resize(image, 37, 23, f), f.label());
        }
    }

    @Test
    void should_match_double_reference_within_one_level_when_one_axis_is_resampled() {
        int[][] sizes = {
            // {inW, inH, outW, outH}: one pass each, up and down, odd sizes
            {40, 30, 224, 30}, {300, 200, 224, 200}, {64, 96, 64, 336}, {250, 180, 250, 77},
            {17, 5, 3, 5}, {1, 4, 9, 4}, {7, 7, 7, 19}, {33, 12, 5, 12}, {1000, 3, 13, 3},
            {5, 224, 5, 111},
        };
        forEachResizeAndReference(1234567L, sizes, (actual, reference, where) -> {
            assertEquals(reference.width(), actual.width(), where);
            assertEquals(reference.height(), actual.height(), where);
            int maxDiff = maxAbsDiff(actual, reference);
            assertTrue(maxDiff <= 1, "max diff " + maxDiff + " for " + where);
        });
    }

    @Test
    void should_match_double_reference_when_both_axes_are_resampled() {
        int[][] sizes = {
            {40, 30, 224, 224}, {300, 200, 224, 224}, {64, 96, 224, 336}, {250, 180, 311, 224},
            {17, 5, 3, 2}, {1, 1, 9, 4}, {224, 224, 111, 333},
        };
        forEachResizeAndReference(7654321L, sizes, (actual, reference, where) -> {
            // A half-way intermediate value may round the other way in the first pass and
            // carry one more level through the second: 2 levels at worst, and rarely.
            byte[] a = actual.rgb();
            byte[] b = reference.rgb();
            int max = 0;
            int beyondOne = 0;
            for (int i = 0; i < a.length; i++) {
                int d = Math.abs((a[i] & 0xFF) - (b[i] & 0xFF));
                max = Math.max(max, d);
                beyondOne += d > 1 ? 1 : 0;
            }
            assertTrue(max <= 2, "max diff " + max + " for " + where);
            assertTrue(beyondOne <= a.length / 1000, beyondOne + " values off by 2 for " + where);
        });
    }

    /** Compares a resize with {@link #referenceResize}, told where: sizes, filter and seed. */
    private interface ReferenceCheck {
        void check(RgbImage actual, RgbImage reference, String where);
    }

    /**
     * Resizes a seeded random image of each size {@code {inW, inH, outW, outH}} with every filter, and
     * checks the result against the reference resize of the same image.
     */
    private static void forEachResizeAndReference(long seed, int[][] sizes, ReferenceCheck check) {
        Random random = new Random(seed);
        for (int[] s : sizes) {
            RgbImage image = random(s[0], s[1], random);
            for (PillowResize.Filter f : PillowResize.Filter.values()) {
                String where = s[0] + "x" + s[1] + " -> " + s[2] + "x" + s[3] + " " + f.label()
                        + " (seed " + seed + ")";
                check.check(PillowResize.resize(image, s[2], s[3], f), referenceResize(image, s[2], s[3], f), where);
            }
        }
    }

    @Test
    void should_keep_constant_image_constant() {
        byte[] rgb = new byte[20 * 10 * 3];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = (byte) 255;
            rgb[i + 1] = 0;
            rgb[i + 2] = (byte) 77;
        }
        RgbImage out = PillowResize.resize(new RgbImage(20, 10, rgb), 53, 7,
                PillowResize.Filter.BICUBIC);
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 53; x++) {
                assertEquals(255, out.get(x, y, 0));
                assertEquals(0, out.get(x, y, 1));
                assertEquals(77, out.get(x, y, 2));
            }
        }
    }

    @Test
    void should_overshoot_and_clip_at_sharp_edges_when_bicubic() {
        // A black/white step upscaled with a negative-lobe kernel rings; clipping keeps 0..255
        // and the ringing shows as values that bilinear never produces next to the edge.
        byte[] rgb = new byte[8 * 1 * 3];
        for (int x = 4; x < 8; x++) {
            rgb[x * 3] = (byte) 200;
            rgb[x * 3 + 1] = (byte) 200;
            rgb[x * 3 + 2] = (byte) 200;
        }
        RgbImage step = new RgbImage(8, 1, rgb);
        RgbImage cubic = PillowResize.resize(step, 32, 1, PillowResize.Filter.BICUBIC);
        RgbImage linear = PillowResize.resize(step, 32, 1, PillowResize.Filter.BILINEAR);
        int cubicMax = 0;
        int linearMax = 0;
        for (int x = 0; x < 32; x++) {
            cubicMax = Math.max(cubicMax, cubic.get(x, 0, 0));
            linearMax = Math.max(linearMax, linear.get(x, 0, 0));
        }
        assertEquals(200, linearMax);
        assertNotEquals(200, cubicMax, "bicubic must overshoot past the step");
    }

    @Test
    void should_reject_unsupported_resample_codes() {
        assertEquals(PillowResize.Filter.BICUBIC, PillowResize.Filter.fromCode(3, "x"));
        assertEquals(PillowResize.Filter.BILINEAR, PillowResize.Filter.fromCode(2, "x"));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> PillowResize.Filter.fromCode(1, "cfg.json"));
        assertEquals(true, e.getMessage().contains("cfg.json"), e.getMessage());
    }

    static RgbImage random(int w, int h, Random random) {
        byte[] rgb = new byte[w * h * 3];
        random.nextBytes(rgb);
        return new RgbImage(w, h, rgb);
    }

    static int maxAbsDiff(RgbImage a, RgbImage b) {
        byte[] x = a.rgb();
        byte[] y = b.rgb();
        assertEquals(x.length, y.length);
        int max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs((x[i] & 0xFF) - (y[i] & 0xFF)));
        }
        return max;
    }

    /**
     * An independent double-precision reference of the same antialiased separable convolution:
     * every input sample is weighted by the kernel at its distance from the output centre
     * (scaled by the downscale factor), weights are normalised, and each pass is rounded to
     * uint8. No fixed point, no support window bookkeeping.
     */
    static RgbImage referenceResize(RgbImage in, int outW, int outH, PillowResize.Filter f) {
        int w = in.width();
        int h = in.height();
        int[][][] img = new int[h][w][3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    img[y][x][c] = in.get(x, y, c);
                }
            }
        }
        if (outW != w) {
            img = resampleRows(img, outW, f);
        }
        if (outH != h) {
            // the vertical pass is the horizontal one on the transposed image
            img = transpose(resampleRows(transpose(img), outH, f));
        }
        byte[] out = new byte[outW * outH * 3];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                for (int c = 0; c < 3; c++) {
                    out[(y * outW + x) * 3 + c] = (byte) img[y][x][c];
                }
            }
        }
        return new RgbImage(outW, outH, out);
    }

    /** Resamples every row of {@code img} (rows, width, 3) to {@code outLen} values, each rounded to uint8. */
    private static int[][][] resampleRows(int[][][] img, int outLen, PillowResize.Filter f) {
        int len = img[0].length;
        double[][] wt = weights(len, outLen, f);
        int[][][] next = new int[img.length][outLen][3];
        for (int y = 0; y < img.length; y++) {
            for (int xo = 0; xo < outLen; xo++) {
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int x = 0; x < len; x++) {
                        s += wt[xo][x] * img[y][x][c];
                    }
                    next[y][xo][c] = round8(s);
                }
            }
        }
        return next;
    }

    /** Swaps rows and columns of (rows, width, 3); the pixels are shared, not copied. */
    private static int[][][] transpose(int[][][] img) {
        int[][][] t = new int[img[0].length][img.length][];
        for (int y = 0; y < img.length; y++) {
            for (int x = 0; x < img[0].length; x++) {
                t[x][y] = img[y][x];
            }
        }
        return t;
    }

    private static double[][] weights(int in, int out, PillowResize.Filter f) {
        double scale = (double) in / out;
        double stretch = Math.max(1.0, scale);
        double[][] wt = new double[out][in];
        for (int o = 0; o < out; o++) {
            double centre = (o + 0.5) * scale;
            double sum = 0;
            for (int i = 0; i < in; i++) {
                double d = Math.abs((i + 0.5 - centre) / stretch);
                double k = kernel(d, f);
                wt[o][i] = k;
                sum += k;
            }
            for (int i = 0; i < in; i++) {
                wt[o][i] /= sum;
            }
        }
        return wt;
    }

    /** The kernels written out independently (Keys cubic a = -0.5, triangle). */
    private static double kernel(double d, PillowResize.Filter f) {
        if (f == PillowResize.Filter.BILINEAR) {
            return Math.max(0, 1 - d);
        }
        double a = -0.5;
        if (d < 1) {
            return (a + 2) * d * d * d - (a + 3) * d * d + 1;
        }
        if (d < 2) {
            return a * d * d * d - 5 * a * d * d + 8 * a * d - 4 * a;
        }
        return 0;
    }

    private static int round8(double v) {
        return (int) Math.max(0, Math.min(255, Math.floor(v + 0.5)));
    }
}
