package org.vlalign.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.vlalign.VlalignException;
import org.vlalign.parity.ParityRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign parity}: runs the SDK on Hugging Face reference cases and compares every expected tensor.
 *
 * <p>Each argument is a case folder (with {@code case.json}) or a folder of case folders, which runs them all
 * in name order. Prints one line per compared tensor and exits 1 if any comparison fails. Not thread-safe:
 * one instance per command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "parity",
        header = "Check the SDK against Hugging Face reference cases.",
        description = {
            "Check the SDK against Hugging Face reference outputs. Each DIR is a case",
            "folder (config.json, model.safetensors, case.json, inputs.safetensors,",
            "expected.safetensors) or a folder of case folders. Prints one PASS or FAIL",
            "line per compared tensor; exits 1 on any FAIL."
        },
        footer = {"", "Example:", "  vlalign parity ../shared/parity", "  vlalign parity ../shared/parity/llama"})
final class ParityCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "Case folders, or folders of case folders.")
    List<Path> dirs;

    @Override
    public Integer call() {
        List<Path> cases = new ArrayList<>();
        for (Path dir : dirs) {
            cases.addAll(casesIn(dir.toAbsolutePath().normalize()));
        }
        PrintStream out = new PrintStream(new WriterOutputStream(spec.commandLine().getOut()), true,
                StandardCharsets.UTF_8);
        boolean passed = ParityRunner.run(cases, out);
        out.flush();
        spec.commandLine().getErr().println(passed
                ? "All " + cases.size() + " parity case(s) passed."
                : "Parity FAILED: see the FAIL lines above.");
        spec.commandLine().getErr().flush();
        return passed ? 0 : VlalignCli.EXIT_FAILURE;
    }

    /** The case folders at or directly under {@code dir}. */
    static List<Path> casesIn(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new VlalignException("Parity folder " + dir + " does not exist or is not a folder. Pass a case"
                    + " folder (with case.json) or a folder of them, e.g. ../shared/parity.");
        }
        if (Files.isRegularFile(dir.resolve("case.json"))) {
            return List.of(dir);
        }
        try (Stream<Path> children = Files.list(dir)) {
            List<Path> cases = children.filter(c -> Files.isRegularFile(c.resolve("case.json"))).sorted().toList();
            if (cases.isEmpty()) {
                throw new VlalignException("No parity case in " + dir + ": neither it nor its sub-folders hold a"
                        + " case.json. Pass a case folder or a folder of them, e.g. ../shared/parity.");
            }
            return cases;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not list " + dir, e);
        }
    }
}
