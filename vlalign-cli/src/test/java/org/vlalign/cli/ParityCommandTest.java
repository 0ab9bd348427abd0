package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.cli.CliRunner.Result;

class ParityCommandTest {

    private static final Path PARITY = Path.of(System.getProperty("vlalign.parity.dir", "../../shared/parity"));

    @TempDir Path tmp;

    @Test
    void should_pass_and_exit_0_on_the_llama_case() {
        Result r = CliRunner.run("parity", PARITY.resolve("llama").toString());

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("PASS"), r.toString());
        assertFalse(r.out().contains("FAIL"), r.toString());
        assertTrue(r.err().contains("All 1 parity case(s) passed."), r.toString());
    }

    @Test
    void should_find_the_cases_inside_a_folder_of_cases() {
        assertEquals(
                java.util.List.of(PARITY.resolve("llama").toAbsolutePath().normalize()),
                ParityCommand.casesIn(PARITY.resolve("llama").toAbsolutePath().normalize()));
        assertTrue(ParityCommand.casesIn(PARITY.toAbsolutePath().normalize())
                .contains(PARITY.resolve("llama").toAbsolutePath().normalize()));
    }

    @Test
    void should_fail_with_exit_1_when_a_case_fails() throws IOException {
        // A copy of the llama case with perturbed weights: the expected outputs no longer match.
        Path broken = Files.createDirectories(tmp.resolve("llama-broken"));
        Path llama = PARITY.resolve("llama");
        try (var files = Files.list(llama)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, broken.resolve(f.getFileName()));
            }
        }
        byte[] weights = Files.readAllBytes(broken.resolve("model.safetensors"));
        // Scale every 7th float32 weight by 1.5 (the data area follows the 8-byte length and the JSON header):
        // every tensor changes well beyond the tolerance, and no value becomes infinite or NaN.
        ByteBuffer data = ByteBuffer.wrap(weights).order(ByteOrder.LITTLE_ENDIAN);
        int start = 8 + (int) data.getLong(0);
        for (int i = start; i + 4 <= weights.length; i += 28) {
            data.putFloat(i, data.getFloat(i) * 1.5f);
        }
        broken.resolve("model.safetensors").toFile().setWritable(true);
        Files.write(broken.resolve("model.safetensors"), weights);

        Result r = CliRunner.run("parity", broken.toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.out().contains("FAIL"), r.toString());
        assertTrue(r.err().contains("Parity FAILED"), r.toString());
    }

    @Test
    void should_explain_and_exit_1_when_folder_does_not_exist() {
        Path none = tmp.resolve("none");

        Result r = CliRunner.run("parity", none.toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Parity folder " + none + " does not exist"), r.toString());
    }

    @Test
    void should_explain_and_exit_1_when_folder_holds_no_case() {
        Result r = CliRunner.run("parity", tmp.toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("No parity case in " + tmp), r.toString());
    }

    @Test
    void should_exit_2_when_no_folder_is_given() {
        Result r = CliRunner.run("parity");

        assertEquals(2, r.exitCode(), r.toString());
    }
}
