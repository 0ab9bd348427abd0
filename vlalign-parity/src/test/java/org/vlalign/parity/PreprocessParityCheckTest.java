package org.vlalign.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreprocessParityCheckTest {
    private final PreprocessParityCheck check = new PreprocessParityCheck();

    private static List<Path> preprocessCases() throws IOException {
        String dir = System.getProperty("vlalign.parity.dir");
        Assumptions.assumeTrue(dir != null && Files.isDirectory(Path.of(dir)),
                "vlalign.parity.dir is not set to a folder");
        List<Path> out = new ArrayList<>();
        for (Path p : ParityRunner.caseDirs(List.of(Path.of(dir)))) {
            try (ParityCase c = ParityCase.open(p)) {
                if (c.kind().equals("preprocess")) {
                    out.add(p);
                }
            }
        }
        Assumptions.assumeFalse(out.isEmpty(), "no preprocess cases in " + dir);
        return out;
    }

    private String run(Path caseDir, boolean expectPass) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ParityCase c = ParityCase.open(caseDir);
                PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            ParityReport report = new ParityReport(c, out);
            check.run(c, report);
            report.finish();
            String text = bytes.toString(StandardCharsets.UTF_8);
            System.out.print(text);
            assertEquals(expectPass, report.allPassed(), text);
            for (String name : c.expectedNames()) {
                assertTrue(report.isReported(name), name + " not reported");
            }
            return text;
        }
    }

    @Test
    void should_pass_every_expected_tensor_of_the_preprocess_cases() throws Exception {
        for (Path dir : preprocessCases()) {
            String text = run(dir, true);
            assertFalse(text.contains("FAIL"), text);
        }
    }

    @Test
    void should_fail_pixel_values_when_the_config_differs_from_the_reference(@TempDir Path tmp)
            throws Exception {
        Path source = preprocessCases().get(0);
        Path copy = tmp.resolve(source.getFileName());
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Path config = copy.resolve("preprocessor_config.json");
        String json = Files.readString(config);
        // Shift the mean of every channel: uint8 stages still pass, pixel_values must not.
        String shifted = json.replaceAll("(\"image_mean\"\\s*:\\s*\\[)[^\\]]*\\]",
                "$1 0.1, 0.1, 0.1]");
        assertFalse(json.equals(shifted), "test needs image_mean in " + config);
        Files.writeString(config, shifted);
        String text = run(copy, false);
        for (String line : text.split("\n")) {
            if (line.contains(" pixel_values_")) {
                assertTrue(line.endsWith("FAIL"), line);
            } else if (!line.isBlank()) {
                assertTrue(line.endsWith("PASS"), line);
            }
        }
    }
}
