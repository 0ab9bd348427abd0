package org.vlalign.core.image;

import java.nio.FloatBuffer;
import java.util.Arrays;
import org.vlalign.InvalidArgumentException;

/**
 * The float32 input of a vision encoder for one image, channel-first ({@code (channels, height,
 * width)}, "CHW"), as Hugging Face's {@code pixel_values[i]}.
 *
 * <p>The array is validated and copied on creation; {@link #data()} returns a copy and {@link
 * #asFloatBuffer()} a read-only view, so instances are immutable and thread-safe.
 *
 * @param data {@code channels * height * width} values, channel-major
 * @param channels the number of channels (3 for RGB)
 * @param height the height in pixels
 * @param width the width in pixels
 * @since 0.1.0
 */
public record PixelValues(float[] data, int channels, int height, int width) {

    /** Validates and copies. */
    public PixelValues {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new InvalidArgumentException(
                    "shape must be positive but was (channels=" + channels + ", height=" + height
                            + ", width=" + width + ")");
        }
        if (data == null) {
            throw new InvalidArgumentException("data must not be null");
        }
        if ((long) channels * height * width != data.length) {
            throw new InvalidArgumentException(
                    "data must hold channels*height*width = " + ((long) channels * height * width)
                            + " values but held " + data.length);
        }
        data = data.clone();
    }

    /**
     * The values, as a copy, channel-major ({@code data[(c * height + y) * width + x]}).
     *
     * @return a copy of the values
     */
    @Override
    public float[] data() {
        return data.clone();
    }

    /**
     * A read-only view of the values without copying, e.g. to create a tensor.
     *
     * @return a read-only buffer positioned at 0
     */
    public FloatBuffer asFloatBuffer() {
        return FloatBuffer.wrap(data).asReadOnlyBuffer();
    }

    /**
     * One value.
     *
     * @param channel the channel
     * @param y the row
     * @param x the column
     * @return the value
     */
    public float get(int channel, int y, int x) {
        if (channel < 0 || channel >= channels || y < 0 || y >= height || x < 0 || x >= width) {
            throw new InvalidArgumentException(
                    "index (channel=" + channel + ", y=" + y + ", x=" + x + ") is outside shape ("
                            + channels + ", " + height + ", " + width + ")");
        }
        return data[(channel * height + y) * width + x];
    }

    /**
     * The shape as an array, {@code {channels, height, width}}.
     *
     * @return a new array
     */
    public long[] shape() {
        return new long[] {channels, height, width};
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PixelValues other
                && channels == other.channels
                && height == other.height
                && width == other.width
                && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * channels + height) + width) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "PixelValues[" + channels + "x" + height + "x" + width + "]";
    }
}
