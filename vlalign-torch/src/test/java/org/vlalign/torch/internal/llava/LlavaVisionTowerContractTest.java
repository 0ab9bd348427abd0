package org.vlalign.torch.internal.llava;

import java.nio.file.Path;
import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;
import org.vlalign.core.image.ImagePreprocessor;
import org.vlalign.testing.TinyLlava;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.torch.internal.clip.ClipFeatureExtractor;

/** The feature-extractor contract for the CLIP vision tower of a tiny LLaVA checkpoint (no search). */
class LlavaVisionTowerContractTest extends AbstractFeatureExtractorContractTest {
    @Override
    protected FeatureExtractor newExtractor() {
        Path dir = folder();
        TinyLlava.write(dir, 8);
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(dir)) {
            LlavaConfig config = LlavaConfig.fromJson(ckpt.config());
            return ClipFeatureExtractor.visionTower(ckpt, config.visionConfigJson(), LlavaModels.VISION_TOWER,
                    config.visionFeatureLayer(), config.visionFeatureSelectStrategy(),
                    ImagePreprocessor.fromFile(dir.resolve("preprocessor_config.json")), false);
        }
    }
}
