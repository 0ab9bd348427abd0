package org.vlalign.samples.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.vlalign.defaultmodel.DefaultModel;

/** Runs the quickstart exactly as the README shows it, on the embedded default model's folder. */
class QuickstartTest {

    @Test
    void should_stream_an_answer_then_find_the_image_by_its_own_question() {
        Path model = DefaultModel.folder();
        Path image = DefaultModel.sampleImages().get(0);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;

        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Quickstart.main(new String[] {model.toString(), image.toString(), "how many shapes are there?"});
        } finally {
            System.setOut(original);
        }

        String out = captured.toString(StandardCharsets.UTF_8);
        String[] lines = out.split("\\R");
        assertFalse(lines[0].isBlank(), out);
        assertTrue(lines[1].startsWith("["), out);
        assertTrue(lines[1].contains(" tokens, "), out);
        assertEquals(3, lines.length, "one image indexed, so one search hit: " + out);
        assertTrue(lines[2].endsWith("  " + image), out);
    }
}
