package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class WriterOutputStreamTest {

    @Test
    void should_decode_characters_split_across_writes() {
        StringWriter sink = new StringWriter();
        WriterOutputStream stream = new WriterOutputStream(new PrintWriter(sink));
        byte[] bytes = "é €\n".getBytes(StandardCharsets.UTF_8);

        for (byte b : bytes) {
            stream.write(b);
        }

        assertEquals("é €\n", sink.toString());
    }

    @Test
    void should_pass_lines_of_a_print_stream_through() {
        StringWriter sink = new StringWriter();
        PrintStream out = new PrintStream(new WriterOutputStream(new PrintWriter(sink)), true, StandardCharsets.UTF_8);

        out.println("llama logits max_abs_err=1e-6 PASS");
        out.print("partial");
        out.flush();

        assertEquals("llama logits max_abs_err=1e-6 PASS" + System.lineSeparator() + "partial", sink.toString());
    }
}
