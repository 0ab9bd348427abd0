package org.vlalign.parity;

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
import org.junit.jupiter.api.TestFactory;

/** Runs the BLIP-2 / InstructBLIP parity checks over every shared case of their kinds. */
class BlipParityTest {
    private static final Map<String, ParityCheck> CHECKS = Map.of(
            "instructblip", new InstructBlipParityCheck(),
            "blip2_qformer", new Blip2QFormerParityCheck(),
            "blip2_retrieval", new Blip2RetrievalParityCheck());

    @TestFactory
    List<DynamicTest> should_reproduce_every_expected_tensor_of_the_shared_blip_cases() throws IOException {
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
                ParityCheck check = CHECKS.get(kind);
                if (check != null) {
                    tests.add(DynamicTest.dynamicTest(c.getFileName().toString(), () -> run(c, check)));
                }
            }
        }
        Assumptions.assumeFalse(tests.isEmpty(), "no BLIP cases in " + dir);
        return tests;
    }

    private static void run(Path dir, ParityCheck check) throws Exception {
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
    }
}
