package org.vlalign.core.image;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.VlalignException;

/**
 * Fuzzes the config readers through {@link ImagePreprocessor#fromFile}: {@code BoundedFiles} reads the
 * bytes, Gson parses them and {@code HfConfigs} validates every field. Any byte string either gives a
 * preprocessor that turns a small image into pixel values of the size it reports (when fixed), or fails with a
 * {@link VlalignException}; any other throwable, an out-of-memory or a hang is a finding.
 *
 * <p>Without {@code JAZZER_FUZZ=1} this replays the seeds in {@code
 * ImagePreprocessorConfigFuzzTestInputs/fuzz_preprocessor_config}.
 */
class ImagePreprocessorConfigFuzzTest {
    private static final Path FILE = tempFile();
    private static final RgbImage IMAGE = new RgbImage(3, 2, new byte[] {
        0, 10, 20, 30, 40, 50, 60, 70, 80, (byte) 90, (byte) 100, (byte) 110,
        (byte) 120, (byte) 130, (byte) 140, (byte) 150, (byte) 160, (byte) 170
    });

    @FuzzTest(maxDuration = "60s")
    void fuzz_preprocessor_config(byte[] data) throws IOException {
        Files.write(FILE, data);
        ImagePreprocessor p;
        try {
            p = ImagePreprocessor.fromFile(FILE);
        } catch (VlalignException expected) {
            return; // the contract: a typed failure naming the field
        }
        p.describe();
        // a validated config must be usable: its output size is bounded, so preprocessing cannot fail
        PixelValues v = p.preprocess(IMAGE);
        if ((p.height() != -1 && v.height() != p.height()) || (p.width() != -1 && v.width() != p.width())) {
            throw new AssertionError("preprocessed to " + v.height() + "x" + v.width() + " but the config says "
                    + p.height() + "x" + p.width() + ": " + p.describe());
        }
    }

    private static Path tempFile() {
        try {
            Path p = Files.createTempFile("fuzz", "preprocessor_config.json");
            p.toFile().deleteOnExit();
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
