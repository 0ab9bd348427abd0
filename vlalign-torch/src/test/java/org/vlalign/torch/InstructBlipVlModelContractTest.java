package org.vlalign.torch;

import java.nio.file.Path;
import org.vlalign.VlModel;
import org.vlalign.core.contract.AbstractVlModelContractTest;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;

/** The VlModel contract for a tiny InstructBLIP folder loaded through {@link TorchModels#load}. */
class InstructBlipVlModelContractTest extends AbstractVlModelContractTest {
    @Override
    protected VlModel newModel() {
        Path dir = folder();
        return TorchModels.load(TinyBlip.write(dir, Kind.INSTRUCTBLIP, 33, 2));
    }
}
