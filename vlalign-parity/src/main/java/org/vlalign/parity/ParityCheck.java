package org.vlalign.parity;

/**
 * Reproduces the expected tensors of one case kind and hands them to a {@link ParityReport}.
 *
 * <p>Implementations are stateless and thread-safe; register each in {@link ParityChecks}.
 *
 * @since 0.1.0
 */
public interface ParityCheck {

    /**
     * The {@code kind} value of {@code case.json} this check handles, e.g. {@code llama}.
     *
     * @return the kind
     */
    String kind();

    /**
     * Runs the case and reports every expected tensor it can reproduce.
     *
     * @param parityCase the case folder
     * @param report receives comparisons; tensors never compared fail as {@code not checked}
     * @throws Exception any failure; the runner reports it as a FAIL line and continues
     */
    void run(ParityCase parityCase, ParityReport report) throws Exception;
}
