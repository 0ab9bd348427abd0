package org.vlalign.core.generate;

import org.vlalign.spi.Decoder;

/** Runs the decoder contract against {@link ToyDecoder}. */
class ToyDecoderContractTest extends AbstractDecoderContractTest {
    @Override
    protected Decoder newDecoder() {
        return ToyDecoder.random(11, 32, 77, 1.5);
    }

    @Override
    protected int embeddingWidth() {
        return 3;
    }
}
