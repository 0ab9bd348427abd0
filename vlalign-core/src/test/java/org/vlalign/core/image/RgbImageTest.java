package org.vlalign.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class RgbImageTest {
    @Test
    void should_draw_every_pixel_into_a_buffered_image_in_rgb_order() {
        byte[] px = new byte[2 * 3 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 14 + 3); // above 127 for the later bytes: the sign must not leak
        }
        RgbImage rgb = new RgbImage(3, 2, px);
        BufferedImage img = rgb.toBufferedImage();
        assertEquals(3, img.getWidth());
        assertEquals(2, img.getHeight());
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                int p = img.getRGB(x, y);
                assertEquals(rgb.get(x, y, 0), p >> 16 & 0xff);
                assertEquals(rgb.get(x, y, 1), p >> 8 & 0xff);
                assertEquals(rgb.get(x, y, 2), p & 0xff);
            }
        }
    }
}
