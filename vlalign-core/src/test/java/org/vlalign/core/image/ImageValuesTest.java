package org.vlalign.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class ImageValuesTest {

    @Test
    void should_copy_pixels_in_and_out_of_rgb_image() {
        byte[] rgb = {1, 2, 3, 4, 5, 6};
        RgbImage image = new RgbImage(2, 1, rgb);
        rgb[0] = 9;
        assertEquals(1, image.get(0, 0, 0));
        image.rgb()[1] = 9;
        assertEquals(2, image.get(0, 0, 1));
        assertEquals(6, image.get(1, 0, 2));
        assertEquals(new RgbImage(2, 1, new byte[] {1, 2, 3, 4, 5, 6}), image);
    }

    @Test
    void should_reject_inconsistent_shapes() {
        assertThrows(InvalidArgumentException.class, () -> new RgbImage(2, 2, new byte[11]));
        assertThrows(InvalidArgumentException.class, () -> new RgbImage(0, 2, new byte[0]));
        assertThrows(InvalidArgumentException.class, () -> new RgbImage(1, 1, new byte[3])
                .get(1, 0, 0));
        assertThrows(InvalidArgumentException.class,
                () -> new PixelValues(new float[5], 3, 1, 2));
        assertThrows(InvalidArgumentException.class,
                () -> new PixelValues(new float[6], 3, 1, 2).get(3, 0, 0));
    }

    @Test
    void should_index_pixel_values_channel_first() {
        float[] data = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; // (3, 2, 2)
        PixelValues pv = new PixelValues(data, 3, 2, 2);
        data[0] = 100;
        assertEquals(0f, pv.get(0, 0, 0));
        assertEquals(7f, pv.get(1, 1, 1));
        assertEquals(10f, pv.get(2, 1, 0));
        assertArrayEquals(new long[] {3, 2, 2}, pv.shape());
        assertEquals(9f, pv.asFloatBuffer().get(9));
    }
}
