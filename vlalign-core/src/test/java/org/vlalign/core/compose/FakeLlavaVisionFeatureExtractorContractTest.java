package org.vlalign.core.compose;

import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;

class FakeLlavaVisionFeatureExtractorContractTest extends AbstractFeatureExtractorContractTest {
    @Override
    protected FeatureExtractor newExtractor() {
        return FakeFeatureExtractor.llavaVision();
    }
}
