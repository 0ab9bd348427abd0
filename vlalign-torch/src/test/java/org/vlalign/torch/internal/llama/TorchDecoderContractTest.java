package org.vlalign.torch.internal.llama;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.core.generate.AbstractDecoderContractTest;
import org.vlalign.testing.TinyLlama;
import org.vlalign.spi.Decoder;

/** The decoder contract (batching, caching, reordering, embeddings, memory bounds) on the torch engine. */
class TorchDecoderContractTest extends AbstractDecoderContractTest {
    @TempDir
    static Path tmp;

    static LlamaModel model;

    @BeforeAll
    static void load() throws IOException {
        model = LlamaModelTest.load(TinyLlama.builder().kvHeads(2).maxPos(256).write(tmp.resolve("m")));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Override
    protected Decoder newDecoder() {
        return new LlamaDecoder(model);
    }

    @Override
    protected int embeddingWidth() {
        return model.config().hiddenSize();
    }
}
