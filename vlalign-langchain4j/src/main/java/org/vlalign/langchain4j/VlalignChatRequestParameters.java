package org.vlalign.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;
import org.vlalign.InvalidArgumentException;

/**
 * LangChain4j chat request parameters plus vlalign's own: the number of beams (beam search), a sampling seed
 * and a repetition penalty.
 *
 * <p>LangChain4j's common parameters map onto vlalign's {@link org.vlalign.GenerationConfig}: {@code
 * maxOutputTokens} is {@code maxNewTokens}, {@code stopSequences} are stop strings, and {@code temperature},
 * {@code topP} and {@code topK} choose {@link org.vlalign.DecodingStrategy.Sampling} when the temperature is
 * above 0 (a temperature of 0 or none is greedy decoding). {@code numBeams} above 1 chooses {@link
 * org.vlalign.DecodingStrategy.Beam} and cannot be combined with a temperature above 0.
 *
 * <pre>{@code
 * ChatRequest request = ChatRequest.builder()
 *         .messages(UserMessage.from(ImageContent.from(base64, "image/png"), TextContent.from("How many shapes?")))
 *         .parameters(VlalignChatRequestParameters.builder().numBeams(3).maxOutputTokens(16).build())
 *         .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.2.0
 */
public final class VlalignChatRequestParameters extends DefaultChatRequestParameters {
    private final Integer numBeams;
    private final Long seed;
    private final Double repetitionPenalty;

    private VlalignChatRequestParameters(Builder b) {
        super(b);
        if (b.numBeams != null && b.numBeams < 1) {
            throw new InvalidArgumentException("numBeams must be >= 1 but was " + b.numBeams);
        }
        if (b.repetitionPenalty != null && !(b.repetitionPenalty > 0 && Double.isFinite(b.repetitionPenalty))) {
            throw new InvalidArgumentException("repetitionPenalty must be positive but was " + b.repetitionPenalty);
        }
        this.numBeams = b.numBeams;
        this.seed = b.seed;
        this.repetitionPenalty = b.repetitionPenalty;
    }

    /**
     * A builder with nothing set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The number of beams; above 1 is beam search.
     *
     * @return the beams, or null when not set
     */
    public Integer numBeams() {
        return numBeams;
    }

    /**
     * The sampling seed, which makes sampled answers reproducible.
     *
     * @return the seed, or null when not set
     */
    public Long seed() {
        return seed;
    }

    /**
     * The CTRL-style repetition penalty; 1 is none.
     *
     * @return the penalty, or null when not set
     */
    public Double repetitionPenalty() {
        return repetitionPenalty;
    }

    /** Keeps vlalign's parameters when LangChain4j merges a request's parameters into the model's defaults. */
    @Override
    public ChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    @Override
    public ChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VlalignChatRequestParameters p
                && super.equals(o)
                && Objects.equals(numBeams, p.numBeams)
                && Objects.equals(seed, p.seed)
                && Objects.equals(repetitionPenalty, p.repetitionPenalty);
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), numBeams, seed, repetitionPenalty);
    }

    @Override
    public String toString() {
        return "VlalignChatRequestParameters{" + super.toString() + ", numBeams=" + numBeams + ", seed=" + seed
                + ", repetitionPenalty=" + repetitionPenalty + "}";
    }

    /** Builds {@link VlalignChatRequestParameters}; not thread-safe. */
    public static final class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Integer numBeams;
        private Long seed;
        private Double repetitionPenalty;

        private Builder() {}

        /**
         * Takes every parameter that {@code parameters} sets, vlalign's too when it carries them.
         *
         * @param parameters the parameters, may be null
         * @return this builder
         */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof VlalignChatRequestParameters v) {
                numBeams = v.numBeams != null ? v.numBeams : numBeams;
                seed = v.seed != null ? v.seed : seed;
                repetitionPenalty = v.repetitionPenalty != null ? v.repetitionPenalty : repetitionPenalty;
            }
            return this;
        }

        /**
         * Sets the number of beams.
         *
         * @param numBeams at least 1; above 1 is beam search
         * @return this builder
         */
        public Builder numBeams(Integer numBeams) {
            this.numBeams = numBeams;
            return this;
        }

        /**
         * Sets the sampling seed.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the repetition penalty.
         *
         * @param repetitionPenalty positive; 1 is none
         * @return this builder
         */
        public Builder repetitionPenalty(Double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        /**
         * Builds the parameters.
         *
         * @return the parameters
         * @throws InvalidArgumentException if a vlalign parameter is out of range
         */
        @Override
        public VlalignChatRequestParameters build() {
            return new VlalignChatRequestParameters(this);
        }
    }
}
