package org.vlalign.torch.internal.adaptor;

import java.nio.file.Path;
import java.util.Random;
import org.vlalign.Adaptor;
import org.vlalign.core.contract.AbstractAdaptorContractTest;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;

/** The Adaptor contract for {@link MlpAdaptor}. */
class MlpAdaptorContractTest extends AbstractAdaptorContractTest {
    @Override
    protected Adaptor newAdaptor() {
        Path file = MlpAdaptorTest.writeRandom(folder().resolve("model.safetensors"), MlpAdaptor.MULTI_MODAL_PROJECTOR,
                new Random(42));
        try (TorchCheckpoint c = TorchCheckpoint.openFile(file)) {
            return MlpAdaptor.load(c, MlpAdaptor.MULTI_MODAL_PROJECTOR, "gelu");
        }
    }
}
