package org.vlalign.core.generate;

import java.util.List;
import org.vlalign.Checks;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.DecoderInput;

/**
 * The argument checks every {@link org.vlalign.spi.Decoder} makes on what it is fed, worded the same for
 * every engine: rows that fit the context, token ids inside the vocabulary, embedding rows as wide as the
 * language model.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.3.0
 */
public final class DecoderChecks {

    private DecoderChecks() {}

    /**
     * Checks the rows of a prefill before anything runs.
     *
     * @param rows the rows
     * @param contextLength the most positions a row may have
     * @param vocabSize the vocabulary size
     * @param hiddenSize the width embedding rows must have
     * @throws InvalidArgumentException if there is no row, or naming the first row that is too long, has a
     *     token id outside the vocabulary or embedding rows of another width
     */
    public static void checkPrefill(List<DecoderInput> rows, int contextLength, int vocabSize, int hiddenSize) {
        Checks.checkArgument(!rows.isEmpty(), "prefill needs at least one row");
        for (int r = 0; r < rows.size(); r++) {
            int n = rows.get(r).length();
            if (n > contextLength) {
                throw new InvalidArgumentException("row " + r + " has " + n + " positions but the context length is "
                        + contextLength + " (max_position_embeddings); shorten the prompt");
            }
            for (DecoderInput.Part part : rows.get(r).parts()) {
                if (part instanceof DecoderInput.Tokens t) {
                    for (int id : t.ids()) {
                        checkToken(r, id, vocabSize);
                    }
                } else {
                    int width = ((DecoderInput.Embeddings) part).features().cols();
                    if (width != hiddenSize) {
                        throw new InvalidArgumentException("row " + r + ": embedding rows have width " + width
                                + " but the language model's hidden size is " + hiddenSize
                                + "; the adaptor must project to " + hiddenSize);
                    }
                }
            }
        }
    }

    /**
     * Checks that a row has room for one more position.
     *
     * @param row the row
     * @param positions the positions it holds
     * @param contextLength the most positions a row may have
     * @throws InvalidArgumentException if the row is full
     */
    public static void checkRoom(int row, long positions, int contextLength) {
        if (positions >= contextLength) {
            throw new InvalidArgumentException("row " + row + " is full: " + positions + " positions reached the "
                    + "context length " + contextLength + "; lower maxNewTokens or shorten the prompt");
        }
    }

    /**
     * Checks a token id.
     *
     * @param row the row it is fed to
     * @param id the id
     * @param vocabSize the vocabulary size
     * @throws InvalidArgumentException if the id is outside {@code [0, vocabSize)}
     */
    public static void checkToken(int row, int id, int vocabSize) {
        if (id < 0 || id >= vocabSize) {
            throw new InvalidArgumentException("row " + row + ": token id " + id + " is outside the vocabulary [0, "
                    + vocabSize + ")");
        }
    }
}
