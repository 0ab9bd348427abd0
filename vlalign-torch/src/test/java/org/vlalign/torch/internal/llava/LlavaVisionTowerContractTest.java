package org.vlalign.torch.internal.llava;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.junit.jupiter.api.AfterAll;
import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;
import org.vlalign.core.image.ImagePreprocessor;
import org.vlalign.testing.TinyLlava;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.clip.ClipFeatureExtractor;

/** The feature-extractor contract for the CLIP vision tower of a tiny LLaVA checkpoint (no search). */
class LlavaVisionTowerContractTest extends AbstractFeatureExtractorContractTest {
    private Path dir;

    @Override
    protected FeatureExtractor newExtractor() {
        try {
            dir = Files.createTempDirectory("llava-contract");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TinyLlava.write(dir, 8);
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(dir)) {
            LlavaConfig config = LlavaConfig.fromJson(ckpt.config());
            return ClipFeatureExtractor.visionTower(ckpt, config.visionConfigJson(), LlavaModels.VISION_TOWER,
                    config.visionFeatureLayer(), config.visionFeatureSelectStrategy(),
                    ImagePreprocessor.fromFile(dir.resolve("preprocessor_config.json")));
        }
    }

    @AfterAll
    void deleteFolder() throws IOException {
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
