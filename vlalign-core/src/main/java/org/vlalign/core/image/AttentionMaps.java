package org.vlalign.core.image;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.vlalign.AttentionMap;
import org.vlalign.Checks;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.PatchAttention;

/**
 * Building and drawing {@link AttentionMap}s: {@link #compose} maps a language model's attention over the
 * image positions onto the patches, {@link #render} draws a map as a heat map over the image.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.2.0
 */
public final class AttentionMaps {
    /** The heat map's opacity where a patch has the largest weight; weight 0 is fully transparent. */
    static final float MAX_ALPHA = 0.6f;

    private AttentionMaps() {}

    /**
     * Maps attention over the image positions (the feature rows, a grid {@code rows × 1} as the language
     * model reports it) onto the patches: for each token, {@code patch[p] = Σ_q positions(t, q) · rowToPatch(q,
     * p)}, then {@link AttentionMap#of}'s rule (each token normalised, the map their mean).
     *
     * @param patches how the feature rows relate to the patches
     * @param positions the language model's map over the same rows
     * @return the map over the patch grid
     * @throws InvalidArgumentException if the map is not {@code rows × 1} for the patches' feature rows, or a
     *     token's attention reaches no patch
     */
    public static AttentionMap compose(PatchAttention patches, AttentionMap positions) {
        Checks.checkNotNull(patches, "patches");
        Checks.checkNotNull(positions, "positions");
        int rows = patches.features().rows();
        Checks.checkArgument(positions.gridHeight() == 1 && positions.gridWidth() == rows, "the language model's"
                + " map is %s×%s but the image has %s feature rows (expected %s×1)", positions.gridWidth(),
                positions.gridHeight(), rows, rows);
        float[][] tokens = new float[positions.tokens()][];
        for (int t = 0; t < tokens.length; t++) {
            tokens[t] = patches.toPatches(positions.tokenWeights(t));
        }
        return AttentionMap.of(patches.gridWidth(), patches.gridHeight(), tokens);
    }

    /**
     * Draws the map over the image: the patch grid stretched over the whole image (bilinear between patch
     * centres), each pixel coloured on a ramp from blue (weight 0) through green and yellow to red (the
     * largest weight), with an opacity growing with the weight up to {@value #MAX_ALPHA}. Weights are scaled by
     * the largest, so the hottest patch is the reddest and most opaque region.
     *
     * <p>The grid is stretched over the whole image, which is where the patches were for preprocessors that
     * resize without cropping (BLIP-2, InstructBLIP, the vlalign composition). A preprocessor that crops (the
     * CLIP processor's centre crop, as LLaVA checkpoints configure it) saw only the centre of a non-square
     * image, so there the map is stretched over more than the model saw; pass the cropped image to align it.
     *
     * @param image the image (as given, not the model's resized copy); not modified
     * @param map the map
     * @return a new RGB image of the same size
     */
    public static BufferedImage render(BufferedImage image, AttentionMap map) {
        Checks.checkNotNull(image, "image");
        Checks.checkNotNull(map, "map");
        int w = image.getWidth();
        int h = image.getHeight();
        int gw = map.gridWidth();
        int gh = map.gridHeight();
        float[] weights = map.weights();
        float max = 0;
        for (float v : weights) {
            max = Math.max(max, v);
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            // the pixel centre in grid coordinates, relative to patch centres
            float gy = Math.max(0, Math.min(gh - 1, (y + 0.5f) * gh / h - 0.5f));
            int y0 = (int) gy;
            int y1 = Math.min(gh - 1, y0 + 1);
            float fy = gy - y0;
            for (int x = 0; x < w; x++) {
                float gx = Math.max(0, Math.min(gw - 1, (x + 0.5f) * gw / w - 0.5f));
                int x0 = (int) gx;
                int x1 = Math.min(gw - 1, x0 + 1);
                float fx = gx - x0;
                float v = (1 - fy) * ((1 - fx) * weights[y0 * gw + x0] + fx * weights[y0 * gw + x1])
                        + fy * ((1 - fx) * weights[y1 * gw + x0] + fx * weights[y1 * gw + x1]);
                float heat = max > 0 ? v / max : 0;
                int heatRgb = ramp(heat);
                float alpha = MAX_ALPHA * heat;
                int rgb = image.getRGB(x, y);
                out.setRGB(x, y, blend(rgb, heatRgb, alpha));
            }
        }
        return out;
    }

    /**
     * Draws a map over the image it was made from and encodes the result as PNG: the image is decoded as the
     * model decoded it ({@link ImageDecoder#withDefaults()}: the same bounds and orientation), scaled down to at
     * most {@code maxSide} pixels on its long side, then {@link #render rendered}.
     *
     * @param image the image the answer was about
     * @param map its attention map
     * @param maxSide the longest side of the picture, at least 1
     * @return the PNG bytes
     * @throws ImageDecodingException if the image cannot be decoded
     * @throws InvalidArgumentException if {@code maxSide} is below 1
     */
    public static byte[] renderPng(ImageInput image, AttentionMap map, int maxSide) {
        Checks.checkNotNull(image, "image");
        Checks.checkNotNull(map, "map");
        Checks.checkArgument(maxSide >= 1, "maxSide must be at least 1 but was %s", maxSide);
        RgbImage rgb = ImageDecoder.withDefaults().decode(image);
        int longSide = Math.max(rgb.width(), rgb.height());
        int w = rgb.width();
        int h = rgb.height();
        if (longSide > maxSide) {
            w = Math.max(1, (int) ((long) w * maxSide / longSide));
            h = Math.max(1, (int) ((long) h * maxSide / longSide));
        }
        BufferedImage picture = rgb.toBufferedImage();
        if (w != rgb.width() || h != rgb.height()) {
            BufferedImage small = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = small.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(picture, 0, 0, w, h, null);
            g.dispose();
            picture = small;
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            ImageIO.write(render(picture, map), "png", png);
        } catch (IOException e) {
            throw new UncheckedIOException("could not encode the attention map as PNG in memory", e);
        }
        return png.toByteArray();
    }

    /** The heat ramp's stops: blue, cyan, green, yellow, red. */
    private static final float[][] STOPS = {{0, 0, 255}, {0, 255, 255}, {0, 255, 0}, {255, 255, 0}, {255, 0, 0}};

    /** The colour of heat {@code t} in [0, 1]: blue, cyan, green, yellow, red. */
    static int ramp(float t) {
        float[][] stops = STOPS;
        float s = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int i = Math.min(stops.length - 2, (int) s);
        float f = s - i;
        int r = Math.round(stops[i][0] + f * (stops[i + 1][0] - stops[i][0]));
        int g = Math.round(stops[i][1] + f * (stops[i + 1][1] - stops[i][1]));
        int b = Math.round(stops[i][2] + f * (stops[i + 1][2] - stops[i][2]));
        return (r << 16) | (g << 8) | b;
    }

    private static int blend(int under, int over, float alpha) {
        int r = Math.round((1 - alpha) * ((under >> 16) & 0xff) + alpha * ((over >> 16) & 0xff));
        int g = Math.round((1 - alpha) * ((under >> 8) & 0xff) + alpha * ((over >> 8) & 0xff));
        int b = Math.round((1 - alpha) * (under & 0xff) + alpha * (over & 0xff));
        return (r << 16) | (g << 8) | b;
    }
}
