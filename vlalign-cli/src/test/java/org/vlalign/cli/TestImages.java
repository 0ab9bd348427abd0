package org.vlalign.cli;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Small image files for the CLI tests. */
final class TestImages {
    private TestImages() {}

    /** Writes a PNG mostly of one colour, with a small patch of another so it is not uniform. */
    static Path png(Path file, Color colour) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(24, 16, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(colour);
        g.fillRect(0, 0, 24, 16);
        g.setColor(Color.GRAY);
        g.fillRect(0, 0, 4, 4);
        g.dispose();
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
        return file;
    }

    /** Writes a file with a JPEG signature followed by garbage. */
    static Path corruptJpeg(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] bytes = new byte[300];
        bytes[0] = (byte) 0xFF;
        bytes[1] = (byte) 0xD8;
        bytes[2] = (byte) 0xFF;
        for (int i = 3; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 37);
        }
        Files.write(file, bytes);
        return file;
    }
}
