package org.vlalign.torch.internal.blip2;

import java.nio.file.Path;
import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;

/** The FeatureExtractor contract for a BLIP-2 retrieval extractor, search checks included. */
class BlipRetrievalContractTest extends AbstractFeatureExtractorContractTest {
    @Override
    protected FeatureExtractor newExtractor() {
        Path dir = folder();
        return BlipFeatureExtractor.load(TinyBlip.write(dir, Kind.BLIP2_RETRIEVAL, 32, 1));
    }
}
