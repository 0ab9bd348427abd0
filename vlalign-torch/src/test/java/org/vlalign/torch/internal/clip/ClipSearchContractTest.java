package org.vlalign.torch.internal.clip;

import java.nio.file.Path;
import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;
import org.vlalign.testing.TinyClip;

/** The feature-extractor contract for a tiny CLIP search model. */
class ClipSearchContractTest extends AbstractFeatureExtractorContractTest {
    @Override
    protected FeatureExtractor newExtractor() {
        Path dir = folder();
        return ClipFeatureExtractor.load(TinyClip.write(dir, 5, 16, 2));
    }
}
