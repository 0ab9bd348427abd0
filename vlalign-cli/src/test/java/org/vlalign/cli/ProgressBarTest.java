package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    @Test
    void should_print_a_line_per_tenth_when_not_on_a_terminal() {
        StringWriter sink = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(sink), false, "images");

        for (int done = 1; done <= 200; done++) {
            bar.update(done, 200, "file" + done + ".png");
        }
        bar.finish();

        String[] lines = sink.toString().split("\\R");
        assertEquals(11, lines.length, sink.toString());
        assertFalse(sink.toString().contains("\r"), "no carriage returns in logs");
        assertTrue(lines[lines.length - 1].startsWith("[##############################] 200/200 images 100%"),
                lines[lines.length - 1]);
        assertTrue(lines[5].contains("] 100/200 images  50%"), lines[5]);
        assertTrue(lines[5].contains("file100.png"), lines[5]);
    }

    @Test
    void should_redraw_one_line_and_end_it_when_on_a_terminal() {
        StringWriter sink = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(sink), true, "images");

        bar.update(1, 3, "a.png");
        bar.update(2, 3, "b.png");
        bar.update(3, 3, "c.png");
        bar.finish();

        String s = sink.toString();
        assertTrue(s.startsWith("\r[##########--------------------] 1/3 images  33%"), s);
        assertTrue(s.contains("\r[##############################] 3/3 images 100%"), "the last state is drawn: " + s);
        assertEquals(1, s.split(System.lineSeparator(), -1).length - 1, "exactly one line break, at the end: " + s);
        assertTrue(s.endsWith(System.lineSeparator()), s);
    }

    @Test
    void should_count_without_a_bar_when_total_is_unknown() {
        ProgressBar bar = new ProgressBar(new PrintWriter(new StringWriter()), false, "images");

        String line = bar.line(7, 0, "");

        assertTrue(line.startsWith("7 images "), line);
        assertFalse(line.contains("["), line);
    }
}
