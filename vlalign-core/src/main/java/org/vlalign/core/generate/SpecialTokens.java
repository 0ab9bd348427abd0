package org.vlalign.core.generate;

import java.util.List;
import org.vlalign.InvalidArgumentException;

/**
 * A model's own special token ids that generation needs: its end-of-sequence ids and its padding
 * id.
 *
 * <p>{@link org.vlalign.GenerationConfig#eosTokenIds()} overrides {@link #eosTokenIds()} when it is
 * not empty. Immutable and thread-safe.
 *
 * @param eosTokenIds the model's end-of-sequence ids (Hugging Face {@code eos_token_id}, which may
 *     be a list); may be empty when the model has none
 * @param padTokenId the padding id ({@code pad_token_id}); the generators never feed it to a
 *     decoder, they drop finished rows instead, so any value is accepted
 * @since 0.1.0
 */
public record SpecialTokens(List<Integer> eosTokenIds, int padTokenId) {

    /** Validates and copies. */
    public SpecialTokens {
        if (eosTokenIds == null) {
            throw new InvalidArgumentException("eosTokenIds must not be null; pass List.of() for none");
        }
        eosTokenIds = List.copyOf(eosTokenIds);
        for (int id : eosTokenIds) {
            if (id < 0) {
                throw new InvalidArgumentException(
                        "eos token ids must be >= 0 but got " + id + " in " + eosTokenIds);
            }
        }
    }

    /**
     * Special tokens from a padding id and end-of-sequence ids.
     *
     * @param padTokenId the padding id
     * @param eosTokenIds the end-of-sequence ids
     * @return the special tokens
     */
    public static SpecialTokens of(int padTokenId, int... eosTokenIds) {
        return new SpecialTokens(java.util.Arrays.stream(eosTokenIds).boxed().toList(), padTokenId);
    }
}
