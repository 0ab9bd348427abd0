package org.vlalign.core.generate;

import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.Decoder;

/**
 * Refuses a generation call whose key/value cache or logits could not fit in memory, before the
 * decoder allocates anything: the rows a call decodes at once are the batch times the beams (beam
 * search) or the samples per prompt (sampling), each growing to its prompt plus its new tokens.
 * Stateless and thread-safe.
 */
final class GenerationBounds {
    /**
     * Logits rows live twice at a step: the decoder's output and the copy being processed (native
     * logits and their Java copy for an engine on native memory).
     */
    private static final int LOGITS_COPIES = 2;

    private GenerationBounds() {}

    static void check(Decoder decoder, RowPlan[] plans, GenerationConfig config, int vocab) {
        check(decoder, plans, config, vocab, MemoryBudget.heapBytes());
    }

    static void check(Decoder decoder, RowPlan[] plans, GenerationConfig config, int vocab, long heapBytes) {
        int perPrompt = config.strategy() instanceof DecodingStrategy.Beam beam
                ? beam.numBeams()
                : config.numReturnSequences();
        String multiplier = config.strategy() instanceof DecodingStrategy.Beam
                ? "numBeams=" + perPrompt
                : "numReturnSequences=" + perPrompt;
        long sequences = (long) plans.length * perPrompt;
        long positions = 0;
        for (RowPlan p : plans) {
            positions = Math.max(positions, (long) p.promptLength() + p.budget());
        }
        long logitsBytes = saturatedProduct(sequences, vocab, Float.BYTES, LOGITS_COPIES);
        if (logitsBytes > heapBytes) {
            throw new InvalidArgumentException(
                    "this call decodes " + sequences + " sequences at once (" + plans.length + " prompts x "
                            + multiplier + "), whose logits over a vocabulary of " + vocab + " need about "
                            + MemoryBudget.format(logitsBytes) + ", more than the Java heap limit of "
                            + MemoryBudget.format(heapBytes) + "; lower " + multiplier.split("=")[0]
                            + " or the batch, or raise -Xmx");
        }
        long perPosition = decoder.cacheBytesPerPosition();
        if (perPosition <= 0) {
            return;
        }
        long cacheBytes = saturatedProduct(sequences, positions, perPosition, 1);
        long available = decoder.cacheBytesAvailable();
        if (cacheBytes > available) {
            throw new InvalidArgumentException(
                    "this call decodes " + sequences + " sequences at once (" + plans.length + " prompts x "
                            + multiplier + ") of up to " + positions + " positions (prompt + maxNewTokens="
                            + config.maxNewTokens() + "); their key/value cache at "
                            + MemoryBudget.format(perPosition) + " per position needs about "
                            + MemoryBudget.format(cacheBytes) + ", more than the memory limit of "
                            + MemoryBudget.format(available) + " available to the cache; lower "
                            + multiplier.split("=")[0] + ", maxNewTokens or the batch");
        }
    }

    /** The product, or {@link Long#MAX_VALUE} when it overflows. */
    private static long saturatedProduct(long a, long b, long c, long d) {
        try {
            return Math.multiplyExact(Math.multiplyExact(a, b), Math.multiplyExact(c, d));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
