package org.vlalign;

/**
 * How the next token is chosen: {@link Greedy}, {@link Beam} or {@link Sampling}.
 *
 * <p>Strategies are values, not strings, so an invalid combination cannot be expressed. All are
 * immutable and thread-safe.
 *
 * @since 0.1.0
 */
public sealed interface DecodingStrategy
        permits DecodingStrategy.Greedy, DecodingStrategy.Beam, DecodingStrategy.Sampling {

    /** Always the most likely token (Hugging Face {@code num_beams=1, do_sample=False}). */
    record Greedy() implements DecodingStrategy {}

    /**
     * Beam search with Hugging Face semantics.
     *
     * @param numBeams beams per input, at least 1 ({@code num_beams})
     * @param lengthPenalty exponent on the generated length when scoring finished hypotheses
     *     ({@code length_penalty}; above 0 favours longer answers)
     * @param earlyStopping stop a row as soon as it has {@code numBeams} finished hypotheses
     *     ({@code early_stopping=True}) instead of when no better one can appear
     */
    record Beam(int numBeams, double lengthPenalty, boolean earlyStopping)
            implements DecodingStrategy {
        /** Validates. */
        public Beam {
            Checks.checkArgument(numBeams >= 1, "numBeams must be >= 1 but was %s", numBeams);
            Checks.checkArgument(Double.isFinite(lengthPenalty), "lengthPenalty must be finite");
        }

        /**
         * Beam search with length penalty 1 and no early stopping (the Hugging Face defaults).
         *
         * @param numBeams beams per input
         * @return the strategy
         */
        public static Beam of(int numBeams) {
            return new Beam(numBeams, 1.0, false);
        }
    }

    /**
     * Sampling from the temperature-scaled distribution, optionally restricted by top-k and top-p.
     *
     * @param temperature divides the logits; must be positive
     * @param topK keep the k most likely tokens; 0 keeps all
     * @param topP keep the smallest set whose probability reaches p; 1 keeps all
     */
    record Sampling(double temperature, int topK, double topP) implements DecodingStrategy {
        /** Validates. */
        public Sampling {
            Checks.checkArgument(
                    temperature > 0 && Double.isFinite(temperature),
                    "temperature must be positive and finite but was %s", temperature);
            Checks.checkArgument(topK >= 0, "topK must be >= 0 but was %s", topK);
            Checks.checkArgument(topP > 0 && topP <= 1, "topP must be in (0, 1] but was %s", topP);
        }

        /**
         * Sampling at a temperature with no top-k or top-p restriction.
         *
         * @param temperature the temperature
         * @return the strategy
         */
        public static Sampling of(double temperature) {
            return new Sampling(temperature, 0, 1.0);
        }
    }
}
