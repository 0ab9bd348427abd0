package org.vlalign.spi;

import java.util.List;

/**
 * A running language model session, as the generation strategies see it: a batch of rows, each with
 * its own key/value cache.
 *
 * <p>{@link #prefill} starts the rows from their prompts; {@link #step} appends one token to every
 * row; {@link #reorder} selects, duplicates or drops rows (beam search). Logits are returned as plain
 * arrays, {@code [row][vocab]}, for the last position of each row.
 *
 * <p>A decoder is used by one thread at a time and must be closed to release its cache.
 *
 * @since 0.1.0
 */
public interface Decoder extends AutoCloseable {

    /**
     * The vocabulary size: the width of every logits row.
     *
     * @return the vocabulary size
     */
    int vocabSize();

    /**
     * The most positions a row may have.
     *
     * @return the context length
     */
    int contextLength();

    /**
     * Runs the prompts and returns the logits of each row's last position. Rows of different lengths
     * are aligned as the implementation chooses (left padding with an attention mask); the result must
     * equal running each row alone.
     *
     * @param rows one input per row
     * @return logits, {@code [rows][vocab]}
     */
    float[][] prefill(List<DecoderInput> rows);

    /**
     * Appends one token to every current row and returns the next logits.
     *
     * @param tokens one token per row
     * @return logits, {@code [rows][vocab]}
     */
    float[][] step(int[] tokens);

    /**
     * Rearranges the rows: new row {@code i} continues old row {@code sources[i]}. Rows may be repeated
     * or dropped.
     *
     * @param sources the source row of each new row
     */
    void reorder(int[] sources);

    /** Releases the cache. Idempotent. */
    @Override
    void close();
}
