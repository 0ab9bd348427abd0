package org.vlalign;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a {@link PromptWrapper} hands to a {@link LanguageModel}: an ordered list of text, token and
 * embedding segments.
 *
 * <p>Text is tokenised by the language model without special tokens; {@link Segment.Bos} stands for
 * the model's beginning-of-sequence token, placed where the template wants it, and {@link
 * Segment.Eos} its end-of-sequence token; {@link Segment.Tokens} are ids passed as they are; {@link Segment.Embeddings} are rows fed directly as
 * input embeddings (the adapted image features), each row one position. The reference system's
 * prompt is {@code [Bos, Text("[INST] "), Embeddings(32×4096), Text(" {query} [/INST]")]};
 * InstructBLIP's is {@code [Embeddings(32×4096), Bos, Text(query)]}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param segments the segments in order; at least one
 * @since 0.1.0
 */
public record Prompt(List<Segment> segments) {

    /** Validates and copies. */
    public Prompt {
        Checks.checkNotNull(segments, "segments");
        Checks.checkArgument(!segments.isEmpty(), "a prompt needs at least one segment");
        segments = List.copyOf(segments);
    }

    /**
     * A prompt of the given segments.
     *
     * @param segments the segments
     * @return the prompt
     */
    public static Prompt of(Segment... segments) {
        return new Prompt(Arrays.asList(segments));
    }

    /**
     * A builder that appends segments in order.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The number of embedding rows in this prompt.
     *
     * @return the count of positions fed as embeddings
     */
    public int embeddingPositions() {
        int n = 0;
        for (Segment s : segments) {
            if (s instanceof Segment.Embeddings e) {
                n += e.features().rows();
            }
        }
        return n;
    }

    /** One part of a prompt. */
    public sealed interface Segment permits Segment.Text, Segment.Tokens, Segment.Embeddings, Segment.Bos, Segment.Eos {

        /**
         * Text, tokenised by the language model without adding special tokens.
         *
         * @param text the text
         */
        record Text(String text) implements Segment {
            /** Validates. */
            public Text {
                Checks.checkNotNull(text, "text");
            }
        }

        /** The language model's beginning-of-sequence token, if its tokenizer uses one. */
        record Bos() implements Segment {}

        /**
         * The language model's end-of-sequence token (its first one if it has several), which closes an
         * earlier answer in a multi-turn template such as Llama-2 chat ({@code ... answer </s><s>[INST]}).
         */
        record Eos() implements Segment {}

        /**
         * Token ids passed as they are.
         *
         * @param ids the token ids
         */
        record Tokens(int[] ids) implements Segment {
            /** Validates and copies. */
            public Tokens {
                Checks.checkNotNull(ids, "ids");
                ids = ids.clone();
            }

            @Override
            public int[] ids() {
                return ids.clone();
            }

            @Override
            public boolean equals(Object o) {
                return o instanceof Tokens t && Arrays.equals(ids, t.ids);
            }

            @Override
            public int hashCode() {
                return Arrays.hashCode(ids);
            }

            @Override
            public String toString() {
                return "Tokens" + Arrays.toString(ids);
            }
        }

        /**
         * Embedding rows fed directly as input embeddings, one position per row.
         *
         * @param features a {@code (positions, hidden)} matrix whose width is the model's hidden size
         */
        record Embeddings(Features features) implements Segment {
            /** Validates. */
            public Embeddings {
                Checks.checkNotNull(features, "features");
            }
        }
    }

    /** Appends segments; not thread-safe. */
    public static final class Builder {
        private final List<Segment> segments = new ArrayList<>();

        private Builder() {}

        /**
         * Appends text.
         *
         * @param text the text
         * @return this builder
         */
        public Builder text(String text) {
            segments.add(new Segment.Text(text));
            return this;
        }

        /**
         * Appends the beginning-of-sequence token.
         *
         * @return this builder
         */
        public Builder bos() {
            segments.add(new Segment.Bos());
            return this;
        }

        /**
         * Appends the end-of-sequence token.
         *
         * @return this builder
         */
        public Builder eos() {
            segments.add(new Segment.Eos());
            return this;
        }

        /**
         * Appends token ids.
         *
         * @param ids the ids
         * @return this builder
         */
        public Builder tokens(int... ids) {
            segments.add(new Segment.Tokens(ids));
            return this;
        }

        /**
         * Appends embedding rows.
         *
         * @param features the rows
         * @return this builder
         */
        public Builder embeddings(Features features) {
            segments.add(new Segment.Embeddings(features));
            return this;
        }

        /**
         * Builds the prompt.
         *
         * @return the prompt
         */
        public Prompt build() {
            return new Prompt(segments);
        }
    }
}
