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

    /**
     * The bytes of key/value cache one row holds for one position, all layers together. Generation
     * multiplies it by the rows (batch times beams or samples) and positions a call can reach, and
     * refuses a call whose cache could not fit {@link #cacheBytesAvailable()} before anything is
     * allocated.
     *
     * @return bytes per row and position; 0 when unknown, which turns the check off
     * @since 0.2.0
     */
    default long cacheBytesPerPosition() {
        return 0;
    }

    /**
     * The bytes this decoder's cache may still grow to: what the memory it lives in (the Java heap
     * or native memory) can hold now.
     *
     * @return bytes; {@link Long#MAX_VALUE} when unbounded or unknown
     * @since 0.2.0
     */
    default long cacheBytesAvailable() {
        return Long.MAX_VALUE;
    }

    /** Releases the cache. Idempotent. */
    @Override
    void close();
}
