package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.cli.CliRunner.Result;
import org.vlalign.testing.TinyLlava;

/** {@code vlalign ask --attention-map FILE.png} on a tiny LLaVA folder, and its usage errors. */
class AttentionMapCliTest {
    @TempDir Path tmp;

    @Test
    void should_write_a_heat_map_png_the_size_of_the_image() throws Exception {
        Path llava = TinyLlava.compact().seed(91).write(tmp.resolve("llava"));
        Path image = TestImages.png(tmp.resolve("red.png"), Color.RED);
        Path map = tmp.resolve("map.png");
        Result r = CliRunner.run("ask", "-m", llava.toString(), "-i", image.toString(), "--threads", "1",
                "--max-new-tokens", "3", "--attention-map", map.toString(), "what", "colour?");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains("attention map: " + map), r.toString());
        BufferedImage written = ImageIO.read(map.toFile());
        assertNotNull(written, "a PNG must be written");
        BufferedImage original = ImageIO.read(image.toFile());
        assertEquals(original.getWidth(), written.getWidth());
        assertEquals(original.getHeight(), written.getHeight());
        boolean changed = false;
        for (int y = 0; y < written.getHeight() && !changed; y++) {
            for (int x = 0; x < written.getWidth() && !changed; x++) {
                changed = (written.getRGB(x, y) & 0xffffff) != (original.getRGB(x, y) & 0xffffff);
            }
        }
        assertTrue(changed, "the heat map must be drawn over the image");
    }

    @Test
    void should_exit_2_for_an_attention_map_with_beam_search_before_loading() throws Exception {
        Path model = FakeModelProvider.writeCheckpoint(tmp.resolve("model"), false);
        FakeVlModel.reset();
        Path image = TestImages.png(tmp.resolve("red.png"), Color.RED);
        Path map = tmp.resolve("map.png");
        Result r = CliRunner.run("ask", "-m", model.toString(), "-i", image.toString(), "--beams", "2",
                "--attention-map", map.toString(), "what?");
        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--attention-map needs greedy decoding"), r.toString());
        assertFalse(Files.exists(map));
        assertTrue(FakeVlModel.CONFIGS.isEmpty(), "the model must not be used on a usage error");
    }
}
