package org.vlalign.spi;

/**
 * Turns token ids back into text, for streaming and stop strings.
 *
 * <p>Implementations are thread-safe.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface Detokenizer {
    /**
     * Decodes ids, skipping special tokens. Must be a pure function of {@code ids}: the generation
     * code decodes growing prefixes and emits the difference.
     *
     * @param ids the ids
     * @return the text
     */
    String decode(int[] ids);
}
