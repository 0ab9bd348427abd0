package org.vlalign.torch.internal.blip2;

import java.nio.file.Path;
import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;

/** The FeatureExtractor contract for an instruction-aware (InstructBLIP) extractor without search. */
class BlipFeatureExtractorContractTest extends AbstractFeatureExtractorContractTest {
    @Override
    protected FeatureExtractor newExtractor() {
        Path dir = folder();
        return BlipFeatureExtractor.load(TinyBlip.write(dir, Kind.INSTRUCTBLIP, 31, 2));
    }
}
