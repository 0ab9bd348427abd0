package org.vlalign.spi;

import java.util.List;
import org.vlalign.Features;

/**
 * One row's prompt as a decoder consumes it: token ids and embedding rows, in order.
 *
 * <p>Immutable and thread-safe.
 *
 * @param parts the parts in order
 * @since 0.1.0
 */
public record DecoderInput(List<Part> parts) {

    /** Copies. */
    public DecoderInput {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) {
            throw new org.vlalign.InvalidArgumentException("a decoder input needs at least one part");
        }
    }

    /**
     * A row of tokens only.
     *
     * @param ids the ids
     * @return the input
     */
    public static DecoderInput ofTokens(int... ids) {
        return new DecoderInput(List.of(new Tokens(ids)));
    }

    /**
     * The number of positions.
     *
     * @return tokens plus embedding rows
     */
    public int length() {
        int n = 0;
        for (Part p : parts) {
            n += p.length();
        }
        return n;
    }

    /** A part of a row. */
    public sealed interface Part permits Tokens, Embeddings {
        /**
         * The positions this part fills.
         *
         * @return its tokens or embedding rows
         * @since 0.2.0
         */
        int length();
    }

    /**
     * Token ids.
     *
     * @param ids the ids
     */
    public record Tokens(int[] ids) implements Part {
        /** Copies. */
        public Tokens {
            ids = ids.clone();
        }

        @Override
        public int[] ids() {
            return ids.clone();
        }

        @Override
        public int length() {
            return ids.length;
        }
    }

    /**
     * Input embeddings, one row per position.
     *
     * @param features shape {@code (positions, hidden)}
     */
    public record Embeddings(Features features) implements Part {
        @Override
        public int length() {
            return features.rows();
        }
    }
}
