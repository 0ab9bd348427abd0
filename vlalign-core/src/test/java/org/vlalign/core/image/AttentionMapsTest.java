package org.vlalign.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;
import org.vlalign.AttentionMap;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.PatchAttention;

/**
 * {@link AttentionMaps#compose} on hand-built language-model and cross-attention tensors with hand-computed
 * results, and {@link AttentionMaps#render}'s size and hottest region.
 */
class AttentionMapsTest {
    /** Two queries over a 2×2 grid (the CLS share already left out). */
    private static final PatchAttention TWO_QUERIES = new PatchAttention(Features.of(new float[4], 2, 2), 2, 2,
            new float[] {0.5f, 0.5f, 0f, 0f, /* query 1 */ 0f, 0.25f, 0.25f, 0.5f});

    @Test
    void should_compose_language_model_attention_with_cross_attention() {
        // LM attention of two tokens over the two image positions (mass on the image 0.8 and 0.4)
        AttentionMap lm = AttentionMap.of(2, 1, new float[][] {{0.2f, 0.6f}, {0.3f, 0.1f}});
        AttentionMap m = AttentionMaps.compose(TWO_QUERIES, lm);
        // token 0: 0.2·[.5 .5 0 0] + 0.6·[0 .25 .25 .5] = [.1 .25 .15 .3] / 0.8
        assertArrayEquals(new float[] {0.125f, 0.3125f, 0.1875f, 0.375f}, m.tokenWeights(0), 1e-6f);
        // token 1: 0.3·[.5 .5 0 0] + 0.1·[0 .25 .25 .5] = [.15 .175 .025 .05] / 0.4
        assertArrayEquals(new float[] {0.375f, 0.4375f, 0.0625f, 0.125f}, m.tokenWeights(1), 1e-6f);
        assertArrayEquals(new float[] {0.25f, 0.375f, 0.125f, 0.25f}, m.weights(), 1e-6f);
        assertEquals(2, m.gridWidth());
        assertEquals(2, m.gridHeight());
    }

    @Test
    void should_carry_weights_over_when_the_positions_are_the_patches() {
        PatchAttention llava = new PatchAttention(Features.of(new float[8], 4, 2), 2, 2, null);
        AttentionMap lm = AttentionMap.of(4, 1, new float[][] {{1f, 0f, 0f, 3f}});
        AttentionMap m = AttentionMaps.compose(llava, lm);
        assertArrayEquals(new float[] {0.25f, 0f, 0f, 0.75f}, m.weights(), 1e-6f);
        assertEquals(0.75f, m.weight(1, 1), 1e-6f);
    }

    @Test
    void should_refuse_a_map_over_other_positions() {
        AttentionMap three = AttentionMap.of(3, 1, new float[][] {{1f, 1f, 1f}});
        assertThrows(InvalidArgumentException.class, () -> AttentionMaps.compose(TWO_QUERIES, three));
    }

    @Test
    void should_render_the_image_size_with_the_hottest_patch_brightest_and_reddest() {
        BufferedImage gray = new BufferedImage(90, 60, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = gray.createGraphics();
        g.setColor(new Color(128, 128, 128));
        g.fillRect(0, 0, 90, 60);
        g.dispose();
        // a 3×2 grid, the hottest patch at (2, 1): bottom right
        AttentionMap m = AttentionMap.of(3, 2, new float[][] {{0.05f, 0.05f, 0.1f, 0.1f, 0.1f, 0.6f}});
        BufferedImage out = AttentionMaps.render(gray, m);
        assertEquals(90, out.getWidth());
        assertEquals(60, out.getHeight());
        double[] red = new double[6];
        for (int y = 0; y < 60; y++) {
            for (int x = 0; x < 90; x++) {
                int rgb = out.getRGB(x, y);
                red[(y / 30) * 3 + x / 30] += ((rgb >> 16) & 0xff) - (rgb & 0xff); // red minus blue
            }
        }
        int hottest = 0;
        for (int i = 1; i < 6; i++) {
            hottest = red[i] > red[hottest] ? i : hottest;
        }
        assertEquals(5, hottest, "the bottom-right cell must be the reddest: " + java.util.Arrays.toString(red));
        int centre = out.getRGB(75, 45);
        assertEquals(AttentionMaps.ramp(1f), 0xff0000);
        assertTrue(((centre >> 16) & 0xff) > 128 + 60 && (centre & 0xff) < 128 - 40,
                "the hottest patch's centre is tinted red: " + Integer.toHexString(centre));
        int coldest = out.getRGB(15, 15); // weight 0.05: faintly blue
        assertTrue((coldest & 0xff) >= ((coldest >> 16) & 0xff), Integer.toHexString(coldest));
    }

    @Test
    void should_encode_the_rendered_map_as_png_scaled_to_the_longest_side() throws Exception {
        BufferedImage gray = new BufferedImage(90, 60, BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = gray.createGraphics();
        g.setColor(new Color(128, 128, 128));
        g.fillRect(0, 0, 90, 60);
        g.dispose();
        java.io.ByteArrayOutputStream encoded = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(gray, "png", encoded);
        org.vlalign.ImageInput input = org.vlalign.ImageInput.of(encoded.toByteArray());
        AttentionMap m = AttentionMap.of(3, 2, new float[][] {{0.05f, 0.05f, 0.1f, 0.1f, 0.1f, 0.6f}});

        BufferedImage full = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                AttentionMaps.renderPng(input, m, 1000)));
        BufferedImage expected = AttentionMaps.render(gray, m);
        for (int y = 0; y < 60; y += 7) {
            for (int x = 0; x < 90; x += 7) {
                assertEquals(expected.getRGB(x, y), full.getRGB(x, y), "pixel " + x + "," + y);
            }
        }
        BufferedImage small = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                AttentionMaps.renderPng(input, m, 45)));
        assertEquals(45, small.getWidth());
        assertEquals(30, small.getHeight());
        assertThrows(InvalidArgumentException.class, () -> AttentionMaps.renderPng(input, m, 0));
        assertThrows(org.vlalign.ImageDecodingException.class,
                () -> AttentionMaps.renderPng(org.vlalign.ImageInput.of(new byte[] {1, 2, 3}), m, 100));
    }
}
