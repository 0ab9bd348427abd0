package org.vlalign.core.compose;

import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;

class FakeBlip2FeatureExtractorContractTest extends AbstractFeatureExtractorContractTest {
    @Override
    protected FeatureExtractor newExtractor() {
        return FakeFeatureExtractor.blip2();
    }
}
