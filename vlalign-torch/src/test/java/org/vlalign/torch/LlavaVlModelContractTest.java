package org.vlalign.torch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.vlalign.VlModel;
import org.vlalign.core.contract.AbstractVlModelContractTest;
import org.vlalign.testing.TinyLlava;

/** The VlModel contract for a tiny LLaVA-1.5 folder loaded through {@link TorchModels#load}. */
class LlavaVlModelContractTest extends AbstractVlModelContractTest {
    @Override
    protected VlModel newModel() {
        try {
            return TorchModels.load(TinyLlava.write(Files.createTempDirectory("vlalign-llava-contract"), 34));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
