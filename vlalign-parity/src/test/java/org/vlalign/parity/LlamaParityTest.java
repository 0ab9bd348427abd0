package org.vlalign.parity;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Runs every {@code kind: llama} case under {@code vlalign.parity.dir} and requires all lines to pass. */
class LlamaParityTest {

    static List<Path> llamaCases() throws IOException {
        String dir = System.getProperty("vlalign.parity.dir");
        assumeTrue(dir != null && Files.isDirectory(Path.of(dir)), "vlalign.parity.dir not set or missing");
        List<Path> out = new ArrayList<>();
        for (Path p : ParityRunner.caseDirs(List.of(Path.of(dir)))) {
            try (ParityCase c = ParityCase.open(p)) {
                if (c.kind().equals("llama")) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    @Test
    void should_reproduce_every_llama_case() throws IOException {
        List<Path> cases = llamaCases();
        assertFalse(cases.isEmpty(), "no llama case found");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        boolean ok = ParityRunner.run(cases, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String lines = buf.toString(StandardCharsets.UTF_8);
        System.out.print(lines);
        assertTrue(ok, lines);
        assertTrue(lines.contains(" PASS"), lines);
    }
}
