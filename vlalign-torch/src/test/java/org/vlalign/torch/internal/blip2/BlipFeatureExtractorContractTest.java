package org.vlalign.torch.internal.blip2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.FeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;

/** The FeatureExtractor contract for an instruction-aware (InstructBLIP) extractor without search. */
class BlipFeatureExtractorContractTest extends AbstractFeatureExtractorContractTest {
    @Override
    protected FeatureExtractor newExtractor() {
        try {
            Path dir = Files.createTempDirectory("vlalign-blip-contract");
            return BlipFeatureExtractor.load(TinyBlip.write(dir, Kind.INSTRUCTBLIP, 31, 2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
