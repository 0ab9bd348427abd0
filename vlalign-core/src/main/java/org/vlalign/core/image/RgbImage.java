package org.vlalign.core.image;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.vlalign.InvalidArgumentException;

/**
 * An 8-bit RGB image, stored row-major and channel-last ({@code (height, width, 3)}, "HWC").
 *
 * <p>This is the uint8 stage of preprocessing: what Pillow holds after {@code convert('RGB')} and
 * after {@code resize}. The array is validated and copied on creation, and {@link #rgb()} returns a
 * copy, so instances are immutable and thread-safe.
 *
 * <pre>{@code
 * RgbImage image = ImageDecoder.withDefaults().decode(ImageInput.of(Path.of("cat.jpg")));
 * int red = image.get(0, 0, 0);
 * }</pre>
 *
 * @param width the width in pixels, positive
 * @param height the height in pixels, positive
 * @param rgb {@code width * height * 3} bytes, R, G, B per pixel, rows top to bottom
 * @since 0.1.0
 */
public record RgbImage(int width, int height, byte[] rgb) {

    /** Validates and copies. */
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new InvalidArgumentException(
                    "image size must be positive but was width=" + width + ", height=" + height);
        }
        if (rgb == null) {
            throw new InvalidArgumentException("rgb must not be null");
        }
        if ((long) width * height * 3 != rgb.length) {
            throw new InvalidArgumentException(
                    "rgb must hold width*height*3 = " + ((long) width * height * 3)
                            + " bytes for a " + width + "x" + height + " image but held "
                            + rgb.length);
        }
        rgb = rgb.clone();
    }

    /**
     * The pixels, as a copy: {@code width * height * 3} bytes, R, G, B per pixel.
     *
     * @return a copy of the pixel bytes
     */
    @Override
    public byte[] rgb() {
        return rgb.clone();
    }

    /**
     * One channel of one pixel.
     *
     * @param x the column, {@code 0 <= x < width}
     * @param y the row, {@code 0 <= y < height}
     * @param channel 0 red, 1 green, 2 blue
     * @return the value, 0 to 255
     */
    public int get(int x, int y, int channel) {
        if (x < 0 || x >= width || y < 0 || y >= height || channel < 0 || channel > 2) {
            throw new InvalidArgumentException(
                    "pixel (x=" + x + ", y=" + y + ", channel=" + channel + ") is outside the "
                            + width + "x" + height + "x3 image");
        }
        return rgb[(y * width + x) * 3 + channel] & 0xFF;
    }

    /**
     * The image as a {@code TYPE_INT_RGB} {@link BufferedImage}, for drawing.
     *
     * @return a new image with these pixels
     * @since 0.3.0
     */
    public BufferedImage toBufferedImage() {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0, i = 0; y < height; y++) {
            for (int x = 0; x < width; x++, i += 3) {
                out.setRGB(x, y, (rgb[i] & 0xff) << 16 | (rgb[i + 1] & 0xff) << 8 | (rgb[i + 2] & 0xff));
            }
        }
        return out;
    }

    /** The internal array, not copied; only for this package, which never writes to it. */
    byte[] pixels() {
        return rgb;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other
                && width == other.width
                && height == other.height
                && Arrays.equals(rgb, other.rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
