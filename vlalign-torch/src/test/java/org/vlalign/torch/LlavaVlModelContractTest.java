package org.vlalign.torch;

import org.vlalign.VlModel;
import org.vlalign.core.contract.AbstractVlModelContractTest;
import org.vlalign.testing.TinyLlava;

/** The VlModel contract for a tiny LLaVA-1.5 folder loaded through {@link TorchModels#load}. */
class LlavaVlModelContractTest extends AbstractVlModelContractTest {
    @Override
    protected VlModel newModel() {
        return TorchModels.load(TinyLlava.write(folder(), 34));
    }
}
