package org.vlalign.core.generate;

import java.util.List;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;

/**
 * A {@link Decoder} that passes every call to another, for tests that observe or alter one call.
 * Not thread-safe, like the decoder it wraps.
 *
 * @since 0.2.0
 */
public class ForwardingDecoder implements Decoder {
    private final Decoder delegate;

    /**
     * Wraps a decoder.
     *
     * @param delegate the decoder that answers
     */
    public ForwardingDecoder(Decoder delegate) {
        this.delegate = delegate;
    }

    @Override
    public int vocabSize() {
        return delegate.vocabSize();
    }

    @Override
    public int contextLength() {
        return delegate.contextLength();
    }

    @Override
    public float[][] prefill(List<DecoderInput> rows) {
        return delegate.prefill(rows);
    }

    @Override
    public float[][] step(int[] tokens) {
        return delegate.step(tokens);
    }

    @Override
    public void reorder(int[] sources) {
        delegate.reorder(sources);
    }

    @Override
    public long cacheBytesPerPosition() {
        return delegate.cacheBytesPerPosition();
    }

    @Override
    public long cacheBytesAvailable() {
        return delegate.cacheBytesAvailable();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
