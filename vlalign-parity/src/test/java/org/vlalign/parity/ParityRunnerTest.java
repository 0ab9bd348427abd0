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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.core.checkpoint.Checkpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;

class ParityRunnerTest {

    @TempDir
    Path tmp;

    private static String run(Path dir) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ParityRunner.run(List.of(dir), new PrintStream(buf, true, StandardCharsets.UTF_8));
        return buf.toString(StandardCharsets.UTF_8);
    }

    private Path copyLlamaCase() throws IOException {
        List<Path> cases = LlamaParityTest.llamaCases();
        Path src = cases.get(0);
        Path dst = Files.createDirectories(tmp.resolve("case"));
        try (Stream<Path> s = Files.list(src)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, dst.resolve(p.getFileName()));
            }
        }
        return dst;
    }

    @Test
    void should_fail_naming_an_unknown_kind() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("odd"));
        Files.writeString(dir.resolve("case.json"), "{\"name\": \"odd\", \"kind\": \"gpt7\", \"expected\": {\"x\": {}}}");
        String out = run(dir);
        assertTrue(out.contains("odd - unknown kind 'gpt7'") && out.contains("FAIL"), out);
        assertTrue(out.contains("odd x not checked FAIL"), out);
    }

    @Test
    void should_fail_a_tampered_tensor_and_pass_the_others() throws IOException {
        Path dir = copyLlamaCase();
        // add 1e-2 to one unmasked logit and change one generated id
        SafetensorsWriter w = SafetensorsWriter.create();
        try (Checkpoint e = Checkpoint.openFile(dir.resolve("expected.safetensors"))) {
            for (String name : e.tensorNames()) {
                long[] shape = e.info(name).shape();
                if (e.info(name).type().isFloat()) {
                    float[] v = e.loadFloats(name);
                    if (name.equals("logits")) {
                        v[v.length - 1] += 1e-2f;
                    }
                    w.addF32(name, v, shape);
                } else {
                    long[] v = e.loadLongs(name);
                    if (name.equals("greedy_ids")) {
                        v[v.length - 1] = (v[v.length - 1] + 1) % 7;
                    }
                    w.addI64(name, v, shape);
                }
            }
        }
        w.write(dir.resolve("expected.safetensors"));
        String out = run(dir);
        assertTrue(out.matches("(?s).* logits max_abs_err=\\S+ tol=\\S+ \\(mask positions only\\).* FAIL\n.*"), out);
        assertTrue(out.matches("(?s).* greedy_ids mismatches=1 exact.* FAIL\n.*"), out);
        assertTrue(out.matches("(?s).* logits_default_positions max_abs_err=\\S+ .*PASS\n.*"), out);
    }

    @Test
    void should_fail_expected_tensors_that_no_check_compares() throws IOException {
        Path dir = copyLlamaCase();
        String caseJson = Files.readString(dir.resolve("case.json"));
        Files.writeString(dir.resolve("case.json"),
                caseJson.replaceFirst("\"expected\": \\{", "\"expected\": {\"mystery_tensor\": {\"dtype\": \"float32\"},"));
        String out = run(dir);
        assertTrue(out.contains("mystery_tensor not checked FAIL"), out);
        assertFalse(out.contains("greedy_ids mismatches=0 exact FAIL"), out);
    }
}
