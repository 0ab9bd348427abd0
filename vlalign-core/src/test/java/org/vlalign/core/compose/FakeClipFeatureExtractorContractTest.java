package org.vlalign.core.compose;

import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;

class FakeClipFeatureExtractorContractTest extends AbstractFeatureExtractorContractTest {
    @Override
    protected FeatureExtractor newExtractor() {
        return FakeFeatureExtractor.clip();
    }
}
