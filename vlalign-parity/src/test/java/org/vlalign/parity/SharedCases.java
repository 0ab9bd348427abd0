package org.vlalign.parity;

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
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;

/**
 * One dynamic test per shared parity case (under the {@code vlalign.parity.dir} system property) whose kind has
 * a check; a case passes when every compared tensor does and at least one was compared. Skipped when the folder
 * or the kinds are absent.
 */
final class SharedCases {
    private SharedCases() {}

    /**
     * The tests of the cases of some kinds.
     *
     * @param checks the check of each kind
     * @param family the kinds' name, for the skip message
     * @param requireAllChecked whether a line saying a tensor was {@code not checked} fails the case
     * @return the tests, in folder order
     * @throws IOException if the folder cannot be listed
     */
    static List<DynamicTest> of(Map<String, ParityCheck> checks, String family, boolean requireAllChecked)
            throws IOException {
        String dir = System.getProperty("vlalign.parity.dir");
        Assumptions.assumeTrue(dir != null && Files.isDirectory(Path.of(dir)), "vlalign.parity.dir not set");
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> cases = Files.list(Path.of(dir))) {
            for (Path c : cases.sorted().toList()) {
                if (!Files.isRegularFile(c.resolve("case.json"))) {
                    continue;
                }
                String kind;
                try (ParityCase pc = ParityCase.open(c)) {
                    kind = pc.kind();
                }
                ParityCheck check = checks.get(kind);
                if (check != null) {
                    tests.add(DynamicTest.dynamicTest(c.getFileName().toString(),
                            () -> run(c, check, requireAllChecked)));
                }
            }
        }
        Assumptions.assumeFalse(tests.isEmpty(), "no " + family + " cases in " + dir);
        return tests;
    }

    private static void run(Path dir, ParityCheck check, boolean requireAllChecked) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        boolean passed;
        try (ParityCase c = ParityCase.open(dir);
                PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            ParityReport report = new ParityReport(c, out);
            check.run(c, report);
            report.finish();
            passed = report.allPassed();
        }
        String lines = buffer.toString(StandardCharsets.UTF_8);
        System.out.print(lines);
        assertTrue(passed, lines);
        assertTrue(lines.contains(" PASS"), "no tensor was compared:\n" + lines);
        if (requireAllChecked) {
            assertFalse(lines.contains("not checked"), lines);
        }
    }
}
