package org.vlalign.samples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.samples.cli.FakeModelProvider;
import org.vlalign.samples.cli.FakeVlModel;

class QuickstartTest {

    @TempDir Path tmp;

    @Test
    void should_stream_the_answer_then_find_the_image_by_text() throws IOException {
        FakeVlModel.reset();
        Path model = FakeModelProvider.writeCheckpoint(tmp.resolve("model"), false);
        Path image = tmp.resolve("green.png");
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                img.setRGB(x, y, Color.GREEN.getRGB());
            }
        }
        ImageIO.write(img, "png", image.toFile());
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;

        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Quickstart.main(new String[] {model.toString(), image.toString(), "is it green?"});
        } finally {
            System.setOut(original);
        }

        String[] lines = captured.toString(StandardCharsets.UTF_8).split("\\R");
        assertEquals("a green picture for 'is it green?'", lines[0], captured.toString(StandardCharsets.UTF_8));
        assertTrue(lines[1].startsWith("[EOS, 5 tokens, "), lines[1]);
        assertEquals(3, lines.length, "one search hit: " + captured);
        assertTrue(lines[2].endsWith("  " + image), lines[2]);
        assertTrue(Float.parseFloat(lines[2].strip().split("\\s+")[0]) > 0.5f, lines[2]);
    }
}
