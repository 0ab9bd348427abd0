package org.vlalign.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LossLogTest {

    @TempDir
    Path dir;

    private static TrainingProgress progress(long step, double loss) {
        return new TrainingProgress(step, 10, 0, (int) step * 2, loss, 1e-4, 0.5, 2, 3.5, Duration.ofSeconds(7));
    }

    @Test
    void should_write_a_csv_header_once_and_append_on_resume() throws Exception {
        Path file = dir.resolve("loss.csv");
        try (LossLog log = LossLog.open(file)) {
            log.onStep(progress(1, 2.5));
        }
        try (LossLog log = LossLog.open(file)) {
            log.onStep(progress(2, 1.25));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("step,epoch,position,loss,lr"));
        assertEquals("1,0,2,2.5,1.0E-4,0.5,3.5,7", lines.get(1));
        assertTrue(lines.get(2).startsWith("2,0,4,1.25,"));
    }

    @Test
    void should_write_json_lines_for_jsonl_files() throws Exception {
        Path file = dir.resolve("loss.jsonl");
        try (LossLog log = LossLog.open(file)) {
            log.onStep(progress(3, 0.75));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(1, lines.size());
        JsonObject o = JsonParser.parseString(lines.get(0)).getAsJsonObject();
        assertEquals(3, o.get("step").getAsLong());
        assertEquals(0.75, o.get("loss").getAsDouble());
        assertEquals(7, o.get("eta_s").getAsLong());
    }
}
