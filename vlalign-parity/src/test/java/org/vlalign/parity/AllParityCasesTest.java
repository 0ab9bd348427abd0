package org.vlalign.parity;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs the parity runner, exactly as {@code ./vlalign parity} does, over every case folder under
 * {@code vlalign.parity.dir} (surefire points it at {@code ../shared/parity}) and requires every line
 * to pass. Unlike the per-family tests it does not skip when the folder is missing: the reference
 * cases are the project's correctness gate.
 */
class AllParityCasesTest {

    @Test
    void should_pass_every_reference_case() throws IOException {
        String dir = System.getProperty("vlalign.parity.dir");
        assertTrue(
                dir != null && Files.isDirectory(Path.of(dir)),
                "the reference cases are missing: expected ../shared/parity beside the repository, got "
                        + dir);
        List<Path> cases = ParityRunner.caseDirs(List.of(Path.of(dir)));
        assertFalse(cases.isEmpty(), "no case folders under " + dir);

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean passed;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            passed = ParityRunner.run(cases, out);
        }
        String report = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(report);
        assertTrue(passed, "parity failures:\n" + report);
        assertFalse(report.contains("FAIL"), report);
        for (Path c : cases) {
            assertTrue(
                    report.contains(c.getFileName().toString()),
                    "no line for case " + c.getFileName() + ":\n" + report);
        }
    }
}
