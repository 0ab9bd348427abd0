package org.vlalign.testing;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.vlalign.ImageInput;

/**
 * Deterministic synthetic images for tests: noisy gradients in memory, and PNG files of a coloured square on a
 * background of another colour.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class TestImages {
    private static final Color[] COLOURS = {Color.RED, Color.BLUE, Color.GREEN, Color.YELLOW, Color.MAGENTA,
        Color.CYAN, Color.ORANGE, Color.PINK, Color.WHITE, Color.BLACK, Color.GRAY, Color.DARK_GRAY};

    private TestImages() {}

    /**
     * Returns an RGB image whose red channel rises left to right, green top to bottom (offset by the seed) and
     * blue is noise.
     *
     * @param seed the seed
     * @param width the width in pixels
     * @param height the height in pixels
     * @return the image
     */
    public static ImageInput gradient(int seed, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int red = (x * 255 / width + r.nextInt(40)) & 0xff;
                int green = (y * 255 / height + seed * 37) & 0xff;
                int blue = r.nextInt(256);
                img.setRGB(x, y, (red << 16) | (green << 8) | blue);
            }
        }
        return ImageInput.of(img);
    }

    /**
     * Returns the PNG bytes of a {@code size}×{@code size} image: a background with a centred square half as wide.
     *
     * @param size the side in pixels
     * @param background the background colour
     * @param square the square's colour
     * @return the PNG file content
     */
    public static byte[] png(int size, Color background, Color square) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(background);
        g.fillRect(0, 0, size, size);
        g.setColor(square);
        g.fillRect(size / 4, size / 4, size / 2, size / 2);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Writes {@link #png(int, Color, Color)} to a file, creating its folder.
     *
     * @param file the file
     * @param background the background colour
     * @param square the square's colour
     * @param size the side in pixels
     * @return {@code file}
     */
    public static Path writePng(Path file, Color background, Color square, int size) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.write(file, png(size, background, square));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * Writes {@code n} distinct PNG images {@code img00.png …} (48 to 64 pixels, twelve colours) into {@code dir}.
     *
     * @param dir the folder (created)
     * @param n how many
     * @return {@code dir}
     */
    public static Path writePngs(Path dir, int n) {
        for (int i = 0; i < n; i++) {
            Color bg = COLOURS[i % COLOURS.length];
            Color sq = COLOURS[(i / COLOURS.length + i * 5 + 3) % COLOURS.length];
            writePng(dir.resolve(String.format("img%02d.png", i)), bg, sq, 48 + 8 * (i % 3));
        }
        return dir;
    }
}
