package org.vlalign.torch.internal.adaptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.vlalign.Adaptor;
import org.vlalign.core.contract.AbstractAdaptorContractTest;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/** The Adaptor contract for {@link MlpAdaptor}. */
class MlpAdaptorContractTest extends AbstractAdaptorContractTest {
    @Override
    protected Adaptor newAdaptor() {
        try {
            Path file = Files.createTempDirectory("vlalign-mlp-contract").resolve("model.safetensors");
            Random r = new Random(42);
            SafetensorsWriter.create()
                    .addF32("multi_modal_projector.linear_1.weight", LinearAdaptorTest.random(r, 16 * 10, 0.4), 16, 10)
                    .addF32("multi_modal_projector.linear_1.bias", LinearAdaptorTest.random(r, 16, 0.1), 16)
                    .addF32("multi_modal_projector.linear_2.weight", LinearAdaptorTest.random(r, 14 * 16, 0.3), 14, 16)
                    .addF32("multi_modal_projector.linear_2.bias", LinearAdaptorTest.random(r, 14, 0.1), 14)
                    .write(file);
            try (TorchCheckpoint c = TorchCheckpoint.openFile(file)) {
                return MlpAdaptor.load(c, MlpAdaptor.MULTI_MODAL_PROJECTOR, "gelu");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
