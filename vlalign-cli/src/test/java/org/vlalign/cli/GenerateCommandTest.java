package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.cli.CliRunner.Result;

/** {@code vlalign generate} on the default model's language model, in every weight format. */
class GenerateCommandTest {

    @Test
    void should_stream_text_and_end_with_the_measurement_line_in_every_weight_format() {
        for (String weights : new String[] {"fp32", "bf16", "q8", "q4", "auto"}) {
            Result r = CliRunner.run("generate", "--weights", weights, "--threads", "1", "--max-new-tokens", "6",
                    "there", "is", "one", "shape", ".");
            assertEquals(0, r.exitCode(), weights + ": " + r);
            List<String> lines = r.out().lines().toList();
            String last = lines.get(lines.size() - 1);
            assertTrue(last.matches("load_s=\\d+\\.\\d\\d prefill_tok_s=\\d+\\.\\d decode_tok_s=\\d+\\.\\d\\d"
                    + " peak_rss_mb=\\d+"), weights + ": " + last);
            assertFalse(String.join("\n", lines.subList(0, lines.size() - 1)).isBlank(), weights + ": no text: " + r);
            String expected = weights.equals("auto") ? "FP32" : weights.toUpperCase(java.util.Locale.ROOT);
            assertTrue(r.err().contains(", " + expected + ", "), weights + ": " + r.err());
        }
    }

    @Test
    void should_report_an_unknown_weight_format_as_a_usage_error() {
        Result r = CliRunner.run("generate", "--weights", "q3", "hello");
        assertEquals(VlalignCli.EXIT_USAGE, r.exitCode(), r.toString());
        assertTrue(r.err().contains("'q3' is not a weight format"), r.toString());
    }
}
