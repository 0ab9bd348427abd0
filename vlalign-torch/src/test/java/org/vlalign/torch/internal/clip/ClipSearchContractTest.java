package org.vlalign.torch.internal.clip;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;
import org.vlalign.testing.TinyClip;

/** The feature-extractor contract for a tiny CLIP search model. */
class ClipSearchContractTest extends AbstractFeatureExtractorContractTest {
    private Path dir;

    @Override
    protected FeatureExtractor newExtractor() {
        try {
            dir = Files.createTempDirectory("clip-contract");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ClipFeatureExtractor.load(TinyClip.write(dir, 5, 16, 2));
    }

    @AfterAll
    void deleteFolder() throws IOException {
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
