package org.vlalign;

import java.util.List;
import java.util.OptionalLong;

/**
 * Settings for one generation call: the strategy, lengths, penalties, stop conditions and seed.
 *
 * <p>Immutable and thread-safe. Build one with {@link #builder()}; derive a variant with
 * {@link #toBuilder()}.
 *
 * <pre>{@code
 * GenerationConfig config = GenerationConfig.builder()
 *         .strategy(DecodingStrategy.Beam.of(4))
 *         .maxNewTokens(64)
 *         .repetitionPenalty(1.1)
 *         .build();
 * }</pre>
 *
 * @param strategy how tokens are chosen
 * @param maxNewTokens the most tokens to generate, at least 1
 * @param minNewTokens end-of-sequence tokens are suppressed until this many were generated
 * @param repetitionPenalty CTRL-style penalty on tokens already in the prompt or the output; 1 is
 *     none
 * @param stopStrings generation ends when the decoded output contains one of these; the answer is
 *     cut before it
 * @param eosTokenIds end-of-sequence ids; empty means the model's own (from its generation config)
 * @param seed the seed for sampling; empty draws one (and the answer is then not reproducible)
 * @param numReturnSequences how many sequences to return (at most the number of beams for beam
 *     search); the best is the {@link Answer}, the others are its {@link Answer#alternatives()}
 * @param attentionMap whether the answer carries an {@link AttentionMap} ({@link Answer#attentionMap()}): where
 *     the generated tokens looked in the image. Off by default because it costs memory (a float per generated
 *     token and image position in the language model, and the vision side's cross-attention) and skips the
 *     model's cache of recent images' features. It is defined for one sequence, so it needs greedy decoding
 *     or sampling with one returned sequence; models that cannot produce it refuse the call with {@link
 *     UnsupportedModelException} (since 0.2.0)
 * @since 0.1.0
 */
public record GenerationConfig(
        DecodingStrategy strategy,
        int maxNewTokens,
        int minNewTokens,
        double repetitionPenalty,
        List<String> stopStrings,
        List<Integer> eosTokenIds,
        OptionalLong seed,
        int numReturnSequences,
        boolean attentionMap) {

    /** Greedy decoding of up to 128 new tokens. */
    public static final GenerationConfig DEFAULT = builder().build();

    /** Validates and copies. */
    public GenerationConfig {
        Checks.checkNotNull(strategy, "strategy");
        Checks.checkArgument(maxNewTokens >= 1, "maxNewTokens must be >= 1 but was %s", maxNewTokens);
        Checks.checkArgument(
                minNewTokens >= 0 && minNewTokens <= maxNewTokens,
                "minNewTokens must be in [0, maxNewTokens=%s] but was %s", maxNewTokens, minNewTokens);
        Checks.checkArgument(
                repetitionPenalty > 0 && Double.isFinite(repetitionPenalty),
                "repetitionPenalty must be positive but was %s", repetitionPenalty);
        stopStrings = List.copyOf(Checks.checkNotNull(stopStrings, "stopStrings"));
        for (String s : stopStrings) {
            Checks.checkArgument(!s.isEmpty(), "stop strings must not be empty");
        }
        eosTokenIds = List.copyOf(Checks.checkNotNull(eosTokenIds, "eosTokenIds"));
        Checks.checkNotNull(seed, "seed");
        Checks.checkArgument(numReturnSequences >= 1, "numReturnSequences must be >= 1 but was %s", numReturnSequences);
        if (strategy instanceof DecodingStrategy.Beam b) {
            Checks.checkArgument(
                    numReturnSequences <= b.numBeams(),
                    "numReturnSequences (%s) must be <= numBeams (%s)", numReturnSequences, b.numBeams());
        } else if (strategy instanceof DecodingStrategy.Greedy) {
            Checks.checkArgument(numReturnSequences == 1, "greedy decoding returns one sequence; use Beam or Sampling");
        }
        Checks.checkArgument(
                !attentionMap || (!(strategy instanceof DecodingStrategy.Beam) && numReturnSequences == 1),
                "an attention map is defined for one generated sequence, but the config asks for %s with %s"
                        + " returned sequences; use Greedy, or Sampling with numReturnSequences 1",
                strategy, numReturnSequences);
    }

    /**
     * The settings without an attention map, as before {@code attentionMap} existed.
     *
     * @param strategy how tokens are chosen
     * @param maxNewTokens the most tokens to generate
     * @param minNewTokens the fewest tokens before end-of-sequence
     * @param repetitionPenalty the repetition penalty
     * @param stopStrings the stop strings
     * @param eosTokenIds the end-of-sequence ids
     * @param seed the sampling seed
     * @param numReturnSequences how many sequences to return
     */
    public GenerationConfig(
            DecodingStrategy strategy,
            int maxNewTokens,
            int minNewTokens,
            double repetitionPenalty,
            List<String> stopStrings,
            List<Integer> eosTokenIds,
            OptionalLong seed,
            int numReturnSequences) {
        this(strategy, maxNewTokens, minNewTokens, repetitionPenalty, stopStrings, eosTokenIds, seed,
                numReturnSequences, false);
    }

    /**
     * A builder with the defaults: greedy, 128 new tokens, no penalties, no stop strings.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder initialised with this config's values.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.strategy = strategy;
        b.maxNewTokens = maxNewTokens;
        b.minNewTokens = minNewTokens;
        b.repetitionPenalty = repetitionPenalty;
        b.stopStrings = stopStrings;
        b.eosTokenIds = eosTokenIds;
        b.seed = seed;
        b.numReturnSequences = numReturnSequences;
        b.attentionMap = attentionMap;
        return b;
    }

    /** Builds a {@link GenerationConfig}; not thread-safe. */
    public static final class Builder {
        private DecodingStrategy strategy = new DecodingStrategy.Greedy();
        private int maxNewTokens = 128;
        private int minNewTokens = 0;
        private double repetitionPenalty = 1.0;
        private List<String> stopStrings = List.of();
        private List<Integer> eosTokenIds = List.of();
        private OptionalLong seed = OptionalLong.empty();
        private int numReturnSequences = 1;
        private boolean attentionMap;

        private Builder() {}

        /**
         * Sets the strategy.
         *
         * @param strategy greedy, beam or sampling
         * @return this builder
         */
        public Builder strategy(DecodingStrategy strategy) {
            this.strategy = strategy;
            return this;
        }

        /**
         * Sets the maximum number of new tokens.
         *
         * @param maxNewTokens at least 1
         * @return this builder
         */
        public Builder maxNewTokens(int maxNewTokens) {
            this.maxNewTokens = maxNewTokens;
            return this;
        }

        /**
         * Sets the minimum number of new tokens.
         *
         * @param minNewTokens at least 0
         * @return this builder
         */
        public Builder minNewTokens(int minNewTokens) {
            this.minNewTokens = minNewTokens;
            return this;
        }

        /**
         * Sets the repetition penalty.
         *
         * @param repetitionPenalty positive; 1 is none
         * @return this builder
         */
        public Builder repetitionPenalty(double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        /**
         * Sets the stop strings.
         *
         * @param stopStrings non-empty strings
         * @return this builder
         */
        public Builder stopStrings(List<String> stopStrings) {
            this.stopStrings = stopStrings;
            return this;
        }

        /**
         * Overrides the model's end-of-sequence ids.
         *
         * @param eosTokenIds the ids; empty uses the model's
         * @return this builder
         */
        public Builder eosTokenIds(List<Integer> eosTokenIds) {
            this.eosTokenIds = eosTokenIds;
            return this;
        }

        /**
         * Sets the sampling seed.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = OptionalLong.of(seed);
            return this;
        }

        /**
         * Sets how many sequences to return.
         *
         * @param numReturnSequences at least 1
         * @return this builder
         */
        public Builder numReturnSequences(int numReturnSequences) {
            this.numReturnSequences = numReturnSequences;
            return this;
        }

        /**
         * Asks for an {@link AttentionMap} with the answer (off by default).
         *
         * @param attentionMap true to compute one
         * @return this builder
         * @since 0.2.0
         */
        public Builder attentionMap(boolean attentionMap) {
            this.attentionMap = attentionMap;
            return this;
        }

        /**
         * Builds the config.
         *
         * @return the config
         * @throws InvalidArgumentException if a value is out of range
         */
        public GenerationConfig build() {
            return new GenerationConfig(
                    strategy, maxNewTokens, minNewTokens, repetitionPenalty, stopStrings,
                    eosTokenIds, seed, numReturnSequences, attentionMap);
        }
    }
}
