package org.vlalign.core.image;

import java.util.Locale;
import org.vlalign.UnsupportedModelException;

/**
 * Separable convolution resampling that reproduces Pillow 9's {@code Image.resize} on 8-bit images.
 *
 * <p>Pillow ({@code src/libImaging/Resample.c}) resamples the horizontal axis first, then the
 * vertical one, and skips an axis whose size does not change. For each output position it computes
 * filter weights over the input positions the (downscale-widened) support covers, normalises them
 * to sum 1, quantises them to fixed point with {@value #PRECISION_BITS} fractional bits, and
 * accumulates integer products with a rounding half added; the intermediate image is rounded and
 * clipped to uint8. Doing the same integer arithmetic here makes the result identical, not just
 * close. Hugging Face's image processors resize through Pillow, so this is what reproduces them.
 *
 * <p>Stateless and thread-safe.
 */
final class PillowResize {
    /** 32 bits minus 8 for the result minus 2 for overshoot of the signed kernel (Pillow's value). */
    static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResize() {}

    /** A resampling filter with Pillow's support radius; codes are {@code PIL.Image.Resampling}. */
    enum Filter {
        /** {@code Resampling.BILINEAR} (code 2): the triangle kernel, support 1. */
        BILINEAR(2, "bilinear", 1.0),
        /** {@code Resampling.BICUBIC} (code 3): Keys' cubic with a = -0.5, support 2. */
        BICUBIC(3, "bicubic", 2.0);

        private final int code;
        private final String label;
        private final double support;

        Filter(int code, String label, double support) {
            this.code = code;
            this.label = label;
            this.support = support;
        }

        int code() {
            return code;
        }

        String label() {
            return label;
        }

        double support() {
            return support;
        }

        /** The kernel value at {@code x}, in double precision with Pillow's operation order. */
        double weight(double x) {
            if (x < 0.0) {
                x = -x;
            }
            if (this == BILINEAR) {
                return x < 1.0 ? 1.0 - x : 0.0;
            }
            final double a = -0.5;
            if (x < 1.0) {
                return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
            }
            if (x < 2.0) {
                return (((x - 5) * x + 8) * x - 4) * a;
            }
            return 0.0;
        }

        /**
         * The filter for a {@code resample} code of a preprocessor config.
         *
         * @throws UnsupportedModelException for any other code, listing the supported ones
         */
        static Filter fromCode(int code, String where) {
            for (Filter f : values()) {
                if (f.code == code) {
                    return f;
                }
            }
            throw new UnsupportedModelException(String.format(Locale.ROOT,
                    "resample=%d in %s is not supported; supported are 2 (bilinear) and 3 (bicubic)."
                            + " Set \"resample\" to one of them.", code, where));
        }
    }

    /** Per-output-position input ranges and fixed-point weights along one axis. */
    private record Coefficients(int kernelSize, int[] start, int[] count, int[] weights) {}

    /**
     * Resizes {@code image} to {@code outWidth x outHeight}.
     *
     * @return the resized image; a copy if the size is unchanged (Pillow copies then too)
     */
    static RgbImage resize(RgbImage image, int outWidth, int outHeight, Filter filter) {
        int inWidth = image.width();
        int inHeight = image.height();
        byte[] pixels = image.pixels(); // (inHeight, inWidth, 3)
        int width = inWidth;
        if (outWidth != inWidth) {
            pixels = horizontal(pixels, inWidth, inHeight, outWidth,
                    coefficients(inWidth, outWidth, filter)); // (inHeight, outWidth, 3)
            width = outWidth;
        }
        if (outHeight != inHeight) {
            pixels = vertical(pixels, width, inHeight, outHeight,
                    coefficients(inHeight, outHeight, filter)); // (outHeight, outWidth, 3)
        }
        return new RgbImage(outWidth, outHeight, pixels);
    }

    /** Pillow's {@code precompute_coeffs} followed by {@code normalize_coeffs_8bpc}. */
    private static Coefficients coefficients(int inSize, int outSize, Filter filter) {
        double scale = (double) inSize / outSize;
        // Downscaling widens the kernel so that every input pixel contributes (antialiasing).
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support() * filterScale;
        int kernelSize = (int) Math.ceil(support) * 2 + 1;
        int[] start = new int[outSize];
        int[] count = new int[outSize];
        int[] weights = new int[outSize * kernelSize];
        double[] k = new double[kernelSize];
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            double invScale = 1.0 / filterScale;
            // (int) truncates toward zero like C's cast; negatives are clamped to 0 right after.
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = filter.weight((x + xmin - center + 0.5) * invScale);
                k[x] = w;
                sum += w;
            }
            for (int x = 0; x < xmax; x++) {
                double w = sum != 0.0 ? k[x] / sum : k[x];
                // Round half away from zero, as Pillow does before the int conversion.
                weights[xx * kernelSize + x] = w < 0
                        ? (int) (-0.5 + w * (1 << PRECISION_BITS))
                        : (int) (0.5 + w * (1 << PRECISION_BITS));
            }
            start[xx] = xmin;
            count[xx] = xmax;
        }
        return new Coefficients(kernelSize, start, count, weights);
    }

    /** Drops the fixed-point fraction and clips to 0..255, like Pillow's {@code clip8}. */
    private static byte clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    private static byte[] horizontal(byte[] in, int inWidth, int height, int outWidth,
            Coefficients c) {
        byte[] out = new byte[outWidth * height * 3]; // (height, outWidth, 3)
        int half = 1 << (PRECISION_BITS - 1);
        int[] w = c.weights();
        for (int y = 0; y < height; y++) {
            int rowIn = y * inWidth * 3;
            int rowOut = y * outWidth * 3;
            for (int xx = 0; xx < outWidth; xx++) {
                int r = half;
                int g = half;
                int b = half;
                int base = xx * c.kernelSize();
                int p = rowIn + c.start()[xx] * 3;
                for (int x = 0, n = c.count()[xx]; x < n; x++, p += 3) {
                    int k = w[base + x];
                    r += (in[p] & 0xFF) * k;
                    g += (in[p + 1] & 0xFF) * k;
                    b += (in[p + 2] & 0xFF) * k;
                }
                int o = rowOut + xx * 3;
                out[o] = clip8(r);
                out[o + 1] = clip8(g);
                out[o + 2] = clip8(b);
            }
        }
        return out;
    }

    private static byte[] vertical(byte[] in, int width, int inHeight, int outHeight,
            Coefficients c) {
        byte[] out = new byte[width * outHeight * 3]; // (outHeight, width, 3)
        int half = 1 << (PRECISION_BITS - 1);
        int[] w = c.weights();
        int stride = width * 3;
        int[] acc = new int[stride];
        for (int yy = 0; yy < outHeight; yy++) {
            java.util.Arrays.fill(acc, half);
            int base = yy * c.kernelSize();
            int y0 = c.start()[yy];
            for (int y = 0, n = c.count()[yy]; y < n; y++) {
                int k = w[base + y];
                int row = (y0 + y) * stride;
                for (int i = 0; i < stride; i++) {
                    acc[i] += (in[row + i] & 0xFF) * k;
                }
            }
            int rowOut = yy * stride;
            for (int i = 0; i < stride; i++) {
                out[rowOut + i] = clip8(acc[i]);
            }
        }
        return out;
    }
}
