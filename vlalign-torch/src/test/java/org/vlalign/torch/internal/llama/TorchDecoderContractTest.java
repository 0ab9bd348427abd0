package org.vlalign.torch.internal.llama;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.vlalign.core.generate.AbstractDecoderContractTest;
import org.vlalign.spi.Decoder;

/** The decoder contract (batching, caching, reordering, embeddings, memory bounds) on the torch engine. */
class TorchDecoderContractTest extends AbstractDecoderContractTest {
    @RegisterExtension
    static final TinyLlamaFixture<LlamaModel> MODEL = TinyLlamaFixture.model(256);

    @Override
    protected Decoder newDecoder() {
        return new LlamaDecoder(MODEL.get());
    }

    @Override
    protected int embeddingWidth() {
        return MODEL.get().config().hiddenSize();
    }
}
