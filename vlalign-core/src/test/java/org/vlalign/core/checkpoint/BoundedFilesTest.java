package org.vlalign.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;

class BoundedFilesTest {
    @TempDir
    Path tmp;

    @Test
    void should_refuse_a_config_linked_to_dev_zero() throws IOException {
        Path zero = Path.of("/dev/zero");
        Assumptions.assumeTrue(Files.exists(zero), "needs /dev/zero");
        Path config = Files.createSymbolicLink(tmp.resolve("config.json"), zero);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoint.open(tmp).close());
        assertTrue(e.getMessage().contains("more than " + BoundedFiles.MAX_CONFIG_BYTES), e.getMessage());
        assertThrows(CheckpointException.class, () -> BoundedFiles.readString(config, 1000));
    }

    @Test
    void should_read_a_file_within_the_limit_and_refuse_one_byte_more() throws IOException {
        Path f = Files.writeString(tmp.resolve("a.json"), "{\"a\": \"é\"}");
        assertEquals("{\"a\": \"é\"}", BoundedFiles.readString(f, Files.size(f)));
        assertThrows(CheckpointException.class, () -> BoundedFiles.readString(f, Files.size(f) - 1));
    }

    @Test
    void should_refuse_text_that_is_not_utf8() throws IOException {
        Path f = Files.write(tmp.resolve("b.json"), new byte[] {'{', (byte) 0xff, '}'});
        CheckpointException e = assertThrows(CheckpointException.class, () -> BoundedFiles.readString(f, 100));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }
}
