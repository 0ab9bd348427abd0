package org.vlalign.core.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.util.function.IntUnaryOperator;
import java.util.function.ObjIntConsumer;

/**
 * Converts decoded images to 8-bit RGB with the pixel arithmetic of Pillow's {@code
 * convert('RGB')}, which Hugging Face's {@code convert_rgb} calls.
 *
 * <p>The rules, per Pillow 9 ({@code PngImagePlugin} modes and {@code libImaging/Convert.c}):
 * <ul>
 *   <li>grey (L): replicated to R, G and B; grey with alpha (LA): alpha dropped;</li>
 *   <li>palette (P), with or without transparency: palette lookup, transparency ignored;</li>
 *   <li>RGBA: alpha dropped, not composited onto a background;</li>
 *   <li>16-bit RGB, RGBA and grey-alpha PNG: the high byte of each sample (Pillow unpacks
 *       {@code RGB;16B} that way);</li>
 *   <li>16-bit grey PNG: Pillow opens it as mode {@code I} and {@code I -> RGB} <em>clips</em> the
 *       value to 0..255 (it does not scale), so values above 255 become white;</li>
 *   <li>CMYK: {@code r = clip(nk - nk*c/255)} with {@code nk = 255 - k}, rounded as Pillow's
 *       {@code MULDIV255}.</li>
 * </ul>
 * Samples are read from the raster, never through Java's colour management, because Pillow
 * applies none (no ICC profile, no gamma). Stateless and thread-safe.
 */
final class RgbConversion {
    private RgbConversion() {}

    /** Any {@code BufferedImage} to RGB. */
    static RgbImage toRgb(BufferedImage image) {
        return toRgb(image, false);
    }

    /**
     * Any {@code BufferedImage} to RGB.
     *
     * @param greyIsModeI the source was a 16-bit greyscale PNG (colour type 0), which Pillow opens
     *     as mode {@code I} even when {@code ImageIO} adds an alpha band for its {@code tRNS}
     */
    static RgbImage toRgb(BufferedImage image, boolean greyIsModeI) {
        int width = image.getWidth();
        int height = image.getHeight();
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        if (cm instanceof IndexColorModel icm) {
            return fromPalette(raster, icm);
        }
        int colorType = cm.getColorSpace().getType();
        boolean plainComponents = cm instanceof ComponentColorModel
                || (cm instanceof DirectColorModel && !cm.isAlphaPremultiplied());
        if (plainComponents && !cm.isAlphaPremultiplied()) {
            int colors = cm.getNumColorComponents();
            if (colorType == ColorSpace.TYPE_GRAY && colors == 1) {
                return fromGrey(raster, cm, greyIsModeI);
            }
            if (colorType == ColorSpace.TYPE_RGB && colors == 3) {
                return fromRgb(raster, cm);
            }
            if (colorType == ColorSpace.TYPE_CMYK && colors == 4) {
                return fromCmyk(raster, false, false);
            }
        }
        // Anything else (premultiplied alpha, exotic colour spaces): Java's own sRGB conversion.
        return fromPackedRows(width, height, (row, y) -> image.getRGB(0, y, width, 1, row, 0, width),
                IntUnaryOperator.identity());
    }

    private static RgbImage fromPalette(Raster raster, IndexColorModel icm) {
        int size = icm.getMapSize();
        byte[] r = new byte[size];
        byte[] g = new byte[size];
        byte[] b = new byte[size];
        icm.getReds(r);
        icm.getGreens(g);
        icm.getBlues(b);
        int[] palette = new int[size]; // (size) packed 0xRRGGBB
        for (int i = 0; i < size; i++) {
            palette[i] = (r[i] & 0xff) << 16 | (g[i] & 0xff) << 8 | (b[i] & 0xff);
        }
        // An index beyond the palette stays black, as in Pillow's zero-filled palette.
        return fromOneBand(raster, i -> i < size ? palette[i] : 0);
    }

    private static RgbImage fromGrey(Raster raster, ColorModel cm, boolean greyIsModeI) {
        int bits = cm.getComponentSize(0);
        boolean alpha = cm.hasAlpha();
        return fromOneBand(raster, v -> {
            if (bits > 8 && (!alpha || greyIsModeI)) {
                // Pillow: 16-bit grey PNG is mode I, and I -> RGB clips instead of scaling.
                v = Math.min(v, 255);
            } else {
                v = to8Bits(v, bits);
            }
            return v * 0x010101; // the grey level in R, G and B
        });
    }

    /** The first band of a raster (palette indices or grey levels) to RGB, each sample mapped by {@code toRgb}. */
    private static RgbImage fromOneBand(Raster raster, IntUnaryOperator toRgb) {
        int width = raster.getWidth();
        return fromPackedRows(
                width, raster.getHeight(), (row, y) -> raster.getSamples(0, y, width, 1, 0, row), toRgb);
    }

    /**
     * An image read one row of ints at a time to RGB.
     *
     * @param readRow fills the row (width ints) with line y's values
     * @param toRgb maps a value to its colour, packed as {@code 0xRRGGBB} (higher bits are ignored)
     */
    private static RgbImage fromPackedRows(
            int width, int height, ObjIntConsumer<int[]> readRow, IntUnaryOperator toRgb) {
        byte[] out = new byte[width * height * 3];
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            readRow.accept(row, y);
            for (int x = 0; x < width; x++) {
                int rgb = toRgb.applyAsInt(row[x]);
                int o = (y * width + x) * 3;
                out[o] = (byte) (rgb >> 16);
                out[o + 1] = (byte) (rgb >> 8);
                out[o + 2] = (byte) rgb;
            }
        }
        return new RgbImage(width, height, out);
    }

    private static RgbImage fromRgb(Raster raster, ColorModel cm) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        byte[] out = new byte[width * height * 3];
        int[] row = new int[width];
        for (int band = 0; band < 3; band++) {
            int bits = cm.getComponentSize(band);
            for (int y = 0; y < height; y++) {
                raster.getSamples(0, y, width, 1, band, row);
                for (int x = 0; x < width; x++) {
                    out[(y * width + x) * 3 + band] = (byte) to8Bits(row[x], bits);
                }
            }
        }
        return new RgbImage(width, height, out);
    }

    /**
     * Samples of another depth to 8 bits: deeper ones keep their high byte (Pillow's {@code ;16B}
     * unpackers), shallower ones (1, 2, 4, 5, 6 bits) are stretched to 0..255.
     */
    private static int to8Bits(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        if (bits > 8) {
            return v >>> (bits - 8);
        }
        int max = (1 << bits) - 1;
        return (v * 255 + max / 2) / max;
    }

    /**
     * A 4-band CMYK (or YCCK) raster to RGB, as Pillow reads a CMYK JPEG.
     *
     * @param ycck the bands are YCbCr + K (Adobe transform 2) and must first be turned back into
     *     the stored CMY values, as libjpeg does
     * @param adobeInverted the file has an Adobe APP14 marker: Photoshop stores CMYK inverted and
     *     Pillow then unpacks with {@code CMYK;I}
     */
    static RgbImage fromCmyk(Raster raster, boolean ycck, boolean adobeInverted) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        byte[] out = new byte[width * height * 3];
        int[] px = new int[width * 4];
        int[] cmyk = new int[4];
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, px);
            for (int x = 0; x < width; x++) {
                int p = x * 4;
                if (ycck) {
                    yccToCmy(px[p], px[p + 1], px[p + 2], cmyk);
                } else {
                    cmyk[0] = px[p];
                    cmyk[1] = px[p + 1];
                    cmyk[2] = px[p + 2];
                }
                cmyk[3] = px[p + 3];
                int o = (y * width + x) * 3;
                int k = adobeInverted ? 255 - cmyk[3] : cmyk[3];
                int nk = 255 - k;
                for (int c = 0; c < 3; c++) {
                    int v = adobeInverted ? 255 - cmyk[c] : cmyk[c];
                    out[o + c] = (byte) clip(nk - mulDiv255(v, nk));
                }
            }
        }
        return new RgbImage(width, height, out);
    }

    /** libjpeg's fixed-point scale ({@code SCALEBITS} in {@code jdcolor.c}). */
    private static final int SCALE_BITS = 16;
    private static final int ONE_HALF = 1 << (SCALE_BITS - 1);

    /** libjpeg's {@code FIX(x)}: a coefficient in 16.16 fixed point. */
    private static int fix(double x) {
        return (int) (x * (1 << SCALE_BITS) + 0.5);
    }

    /**
     * libjpeg's YCCK -> CMYK step for C, M and Y ({@code ycck_cmyk_convert}): the YCbCr -> RGB
     * conversion with its fixed-point tables, then {@code 255 - value}.
     */
    private static void yccToCmy(int yy, int cb, int cr, int[] cmy) {
        int crR = (fix(1.40200) * (cr - 128) + ONE_HALF) >> SCALE_BITS;
        int cbB = (fix(1.77200) * (cb - 128) + ONE_HALF) >> SCALE_BITS;
        int g = (-fix(0.34414) * (cb - 128) + ONE_HALF - fix(0.71414) * (cr - 128)) >> SCALE_BITS;
        cmy[0] = clip(255 - (yy + crR));
        cmy[1] = clip(255 - (yy + g));
        cmy[2] = clip(255 - (yy + cbB));
    }

    /** Pillow's {@code MULDIV255}: {@code a * b / 255} rounded, in integers. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static int clip(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
