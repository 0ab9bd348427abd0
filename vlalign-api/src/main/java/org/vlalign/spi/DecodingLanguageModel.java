package org.vlalign.spi;

import org.vlalign.LanguageModel;
import org.vlalign.Prompt;

/**
 * A {@link LanguageModel} that opens {@link Decoder} sessions, for generation loops of one's own and for
 * checks that compare engines step by step. Both of vlalign's Llama engines implement it.
 *
 * <p>Implementations are thread-safe; each decoder they open is used by one thread and must be closed.
 *
 * @since 0.2.0
 */
public interface DecodingLanguageModel extends LanguageModel {

    /**
     * Opens a session with an empty cache.
     *
     * @return the decoder; close it
     */
    Decoder newDecoder();

    /**
     * The decoder input a prompt becomes (its tokens and embedding rows in order).
     *
     * @param prompt the prompt
     * @return the input
     * @throws org.vlalign.InvalidArgumentException if the prompt cannot be tokenised or an embedding row's
     *     width is not {@link #hiddenSize()}
     */
    DecoderInput toDecoderInput(Prompt prompt);
}
