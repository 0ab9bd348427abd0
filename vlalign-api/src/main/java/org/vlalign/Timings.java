package org.vlalign;

import java.time.Duration;

/**
 * Where the time of one call went. Stages a call did not run are {@link Duration#ZERO}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param preprocess image decoding and preprocessing
 * @param extract feature extraction and adaptation
 * @param prefill the language model's pass over the prompt
 * @param decode the generation steps after the prefill
 * @since 0.1.0
 */
public record Timings(Duration preprocess, Duration extract, Duration prefill, Duration decode) {
    /** No time in any stage. */
    public static final Timings ZERO = new Timings(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ZERO);

    /** Validates. */
    public Timings {
        Checks.checkNotNull(preprocess, "preprocess");
        Checks.checkNotNull(extract, "extract");
        Checks.checkNotNull(prefill, "prefill");
        Checks.checkNotNull(decode, "decode");
    }

    /**
     * The sum of all stages.
     *
     * @return the total
     */
    public Duration total() {
        return preprocess.plus(extract).plus(prefill).plus(decode);
    }

    /**
     * A copy with the vision stages set.
     *
     * @param preprocess image preprocessing time
     * @param extract feature extraction time
     * @return the new timings
     */
    public Timings withVision(Duration preprocess, Duration extract) {
        return new Timings(preprocess, extract, prefill, decode);
    }
}
