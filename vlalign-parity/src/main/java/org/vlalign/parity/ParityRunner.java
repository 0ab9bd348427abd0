package org.vlalign.parity;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs parity cases and prints one line per expected tensor.
 *
 * <p>Usage: {@code java org.vlalign.parity.ParityRunner <parity-dir-or-case-dir>...}: a folder
 * holding {@code case.json} is one case; any other folder contributes every sub-folder that holds a
 * {@code case.json}. Exits 0 when everything passed, 1 otherwise.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class ParityRunner {

    private ParityRunner() {}

    /**
     * Runs cases.
     *
     * @param caseDirs folders that each hold a {@code case.json}
     * @param out where the lines go
     * @return true if every tensor of every case passed
     */
    public static boolean run(List<Path> caseDirs, PrintStream out) {
        Map<String, ParityCheck> checks = ParityChecks.byKind();
        boolean all = true;
        for (Path dir : caseDirs) {
            all &= runOne(dir, checks, out);
        }
        return all;
    }

    private static boolean runOne(Path dir, Map<String, ParityCheck> checks, PrintStream out) {
        ParityCase c;
        try {
            c = ParityCase.open(dir);
        } catch (RuntimeException e) {
            out.println(dir.getFileName() + " - cannot read case: " + e.getMessage() + " FAIL");
            return false;
        }
        try (c) {
            ParityReport report = new ParityReport(c, out);
            ParityCheck check = checks.get(c.kind());
            if (check == null) {
                report.fail("-", "unknown kind '" + c.kind() + "' (known: " + checks.keySet() + ")");
            } else {
                try {
                    check.run(c, report);
                } catch (Exception | AssertionError e) {
                    report.fail("-", "check '" + c.kind() + "' threw " + e);
                }
            }
            report.finish();
            return report.allPassed();
        }
    }

    /**
     * Expands folders: a folder with {@code case.json} is a case; otherwise its sub-folders with one.
     *
     * @param roots folders
     * @return case folders, sorted within each root
     * @throws IOException if a folder cannot be listed
     */
    public static List<Path> caseDirs(List<Path> roots) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path root : roots) {
            if (Files.exists(root.resolve("case.json"))) {
                out.add(root);
                continue;
            }
            try (Stream<Path> s = Files.list(root)) {
                s.filter(p -> Files.exists(p.resolve("case.json"))).sorted().forEach(out::add);
            }
        }
        return out;
    }

    /**
     * Command-line entry point.
     *
     * @param args parity folders or case folders
     * @throws IOException if a folder cannot be listed
     */
    public static void main(String[] args) throws IOException {
        List<Path> roots = new ArrayList<>();
        for (String a : args) {
            roots.add(Path.of(a));
        }
        if (roots.isEmpty()) {
            roots.add(Path.of(System.getProperty("vlalign.parity.dir", "../shared/parity")));
        }
        boolean ok = run(caseDirs(roots), System.out);
        System.out.println(ok ? "ALL PASS" : "SOME FAILED");
        System.exit(ok ? 0 : 1);
    }
}
