package org.vlalign.core.checkpoint;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.VlalignException;

/**
 * Fuzzes {@link SafetensorsReader#open}: any byte string is either a readable checkpoint whose every
 * tensor can be read back, or fails with a {@link VlalignException}. Any other throwable, an
 * out-of-memory or a hang is a finding.
 *
 * <p>Without {@code JAZZER_FUZZ=1} this replays the seeds in {@code
 * SafetensorsReaderFuzzTestInputs/fuzz_header} (regression mode, part of the default suite). Each
 * crash a fuzzing run found is kept there as a seed.
 */
class SafetensorsReaderFuzzTest {
    /** Tensors bigger than this are not read back whole, so one input cannot dominate the run time. */
    private static final long MAX_READ_ELEMENTS = 1 << 16;

    private static final Path FILE = tempFile("fuzz", ".safetensors");

    @FuzzTest(maxDuration = "60s")
    void fuzz_header(byte[] data) throws IOException {
        Files.write(FILE, data);
        try (SafetensorsReader r = SafetensorsReader.open(FILE)) {
            r.metadata();
            for (TensorInfo info : r.tensors().values()) {
                if (info.numel() <= MAX_READ_ELEMENTS) {
                    r.readFloats(info.name());
                }
            }
        } catch (VlalignException expected) {
            // the contract: a typed failure naming what is wrong
        }
    }

    static Path tempFile(String prefix, String suffix) {
        try {
            Path p = Files.createTempFile(prefix, suffix);
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
