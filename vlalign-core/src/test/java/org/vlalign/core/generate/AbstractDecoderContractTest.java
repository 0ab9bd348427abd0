package org.vlalign.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vlalign.DecodingStrategy;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;

/**
 * The contract every {@link Decoder} meets, as the generation strategies rely on it: logits of
 * vocabulary width per row, a batch equal to each row alone, a step equal to the prefill of the
 * longer prompt (the cache is right), {@link Decoder#reorder} selecting, duplicating and dropping
 * rows, embedding parts, and an idempotent close. Extend it and implement {@link #newDecoder()}.
 *
 * <p>Each test opens its own decoders and closes them. Inputs are seeded random prompts; the seed
 * is in every failure message. Instances are used by one JUnit thread.
 *
 * @since 0.1.0
 */
public abstract class AbstractDecoderContractTest {
    private static final long SEED = 20_261_123L;

    /**
     * Opens a fresh decoder with no rows. Every call must return a decoder over the same model.
     *
     * @return a new decoder, closed by the suite
     */
    protected abstract Decoder newDecoder();

    /**
     * The width of embedding rows the decoder accepts; 0 skips the embedding checks.
     *
     * @return the hidden size, or 0
     */
    protected int embeddingWidth() {
        return 0;
    }

    /**
     * The absolute tolerance on logits (batching and caching change the float rounding).
     *
     * @return the tolerance
     */
    protected double absTolerance() {
        return 1e-4;
    }

    /**
     * The relative tolerance on logits.
     *
     * @return the tolerance
     */
    protected double relTolerance() {
        return 1e-4;
    }

    /**
     * The largest token id the prompts use (exclusive); defaults to the vocabulary size.
     *
     * @param vocabSize the decoder's vocabulary size
     * @return the bound
     */
    protected int tokenBound(int vocabSize) {
        return vocabSize;
    }

    @Test
    void should_return_one_logits_row_of_vocabulary_width_per_row() {
        try (Decoder d = newDecoder()) {
            SplittableRandom random = new SplittableRandom(SEED);
            List<DecoderInput> rows = List.of(prompt(random, d, 3), prompt(random, d, 1), prompt(random, d, 5));
            float[][] logits = d.prefill(rows);
            assertEquals(3, logits.length, "seed " + SEED);
            for (float[] row : logits) {
                assertEquals(d.vocabSize(), row.length);
                for (float x : row) {
                    assertTrue(Float.isFinite(x), "non-finite logit");
                }
            }
            float[][] next = d.step(new int[] {1, 2, 3});
            assertEquals(3, next.length);
            assertEquals(d.vocabSize(), next[0].length);
        }
    }

    @Test
    void should_prefill_a_batch_as_each_row_alone() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        try (Decoder batch = newDecoder()) {
            List<DecoderInput> rows = new ArrayList<>();
            for (int length : new int[] {4, 1, 6, 2}) {
                rows.add(prompt(random, batch, length));
            }
            float[][] together = batch.prefill(rows);
            int[] next = {0, 1, 2, 3};
            float[][] stepped = batch.step(next);
            for (int r = 0; r < rows.size(); r++) {
                try (Decoder alone = newDecoder()) {
                    assertClose(alone.prefill(List.of(rows.get(r)))[0], together[r], "prefill row " + r);
                    assertClose(alone.step(new int[] {next[r]})[0], stepped[r], "step row " + r);
                }
            }
        }
    }

    @Test
    void should_step_like_a_prefill_of_the_longer_prompt() {
        SplittableRandom random = new SplittableRandom(SEED + 2);
        try (Decoder stepping = newDecoder()) {
            int bound = tokenBound(stepping.vocabSize());
            int[] prompt = random.ints(3, 0, bound).toArray();
            int[] extra = random.ints(4, 0, bound).toArray();
            stepping.prefill(List.of(DecoderInput.ofTokens(prompt)));
            float[] last = null;
            for (int t : extra) {
                last = stepping.step(new int[] {t})[0];
            }
            try (Decoder whole = newDecoder()) {
                float[] want = whole.prefill(List.of(DecoderInput.ofTokens(BruteForce.concat(prompt, extra))))[0];
                assertClose(want, last, "3 prompt tokens + 4 steps vs a 7-token prefill");
            }
        }
    }

    @Test
    void should_select_duplicate_and_drop_rows_on_reorder() {
        SplittableRandom random = new SplittableRandom(SEED + 3);
        try (Decoder d = newDecoder()) {
            int bound = tokenBound(d.vocabSize());
            int[][] prompts = {random.ints(2, 0, bound).toArray(), random.ints(5, 0, bound).toArray(),
                random.ints(3, 0, bound).toArray()};
            List<DecoderInput> rows = new ArrayList<>();
            for (int[] p : prompts) {
                rows.add(DecoderInput.ofTokens(p));
            }
            d.prefill(rows);
            int[] sources = {2, 0, 0};
            d.reorder(sources);
            int[] tokens = {random.nextInt(bound), random.nextInt(bound), random.nextInt(bound)};
            float[][] got = d.step(tokens);
            assertEquals(3, got.length);
            for (int i = 0; i < sources.length; i++) {
                try (Decoder fresh = newDecoder()) {
                    float[] want = fresh.prefill(List.of(
                            DecoderInput.ofTokens(BruteForce.concat(prompts[sources[i]], new int[] {tokens[i]}))))[0];
                    assertClose(want, got[i], "reordered row " + i + " (source " + sources[i] + ")");
                }
            }
            d.reorder(new int[] {1});
            float[][] one = d.step(new int[] {tokens[0]});
            assertEquals(1, one.length, "dropping rows shrinks the batch");
        }
    }

    @Test
    void should_accept_embedding_rows_between_tokens() {
        int width = embeddingWidth();
        if (width <= 0) {
            return;
        }
        SplittableRandom random = new SplittableRandom(SEED + 4);
        try (Decoder d = newDecoder()) {
            int bound = tokenBound(d.vocabSize());
            float[] data = new float[2 * width];
            for (int i = 0; i < data.length; i++) {
                data[i] = (float) (random.nextGaussian() * 0.5);
            }
            DecoderInput mixed = new DecoderInput(List.of(
                    new DecoderInput.Tokens(random.ints(2, 0, bound).toArray()),
                    new DecoderInput.Embeddings(Features.of(data, 2, width)),
                    new DecoderInput.Tokens(random.ints(3, 0, bound).toArray())));
            assertEquals(7, mixed.length());
            DecoderInput plain = DecoderInput.ofTokens(random.ints(2, 0, bound).toArray());
            float[][] batch = d.prefill(List.of(plain, mixed));
            try (Decoder alone = newDecoder()) {
                assertClose(alone.prefill(List.of(mixed))[0], batch[1], "embeddings row in a batch vs alone");
            }
        }
    }

    @Test
    void should_generate_the_same_greedy_tokens_batched_or_alone() {
        SplittableRandom random = new SplittableRandom(SEED + 5);
        List<DecoderInput> rows = new ArrayList<>();
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(6).eosTokenIds(List.of()).build();
        GenerationResult batch;
        try (Decoder d = newDecoder()) {
            for (int length : new int[] {5, 2, 3}) {
                rows.add(prompt(random, d, length));
            }
            batch = Generator.generate(d, rows, config, SpecialTokens.of(0), ids -> "", null);
        }
        for (int r = 0; r < rows.size(); r++) {
            try (Decoder d = newDecoder()) {
                GenerationResult alone = Generator.generate(d, List.of(rows.get(r)), config, SpecialTokens.of(0),
                        ids -> "", null);
                assertArrayEquals(alone.row(0).best().tokenIds(), batch.row(r).best().tokenIds(), "row " + r);
            }
        }
    }

    @Test
    void should_refuse_beams_whose_cache_cannot_fit_before_allocating() {
        try (Decoder d = newDecoder()) {
            long perPosition = d.cacheBytesPerPosition();
            assertTrue(perPosition > 0, "cacheBytesPerPosition() must report the cache size, was " + perPosition);
            long available = d.cacheBytesAvailable();
            assertTrue(available > 0 && available < Long.MAX_VALUE,
                    "cacheBytesAvailable() must report the memory the cache lives in, was " + available);
            int maxNew = Math.min(64, d.contextLength() - 2);
            // Twice what fits, and the budget pinned below: a native budget follows MemAvailable, which
            // other processes move between two reads. Unpinned, a rise let a million-beam search run.
            long beams = Math.min(Integer.MAX_VALUE, 2 * (available / (perPosition * (maxNew + 1)) + 1));
            GenerationConfig config = GenerationConfig.builder()
                    .strategy(DecodingStrategy.Beam.of((int) beams))
                    .maxNewTokens(maxNew)
                    .build();
            int[] prefills = {0};
            Decoder counting = new ForwardingDecoder(d) {
                @Override
                public long cacheBytesAvailable() {
                    return available;
                }

                @Override
                public float[][] prefill(List<DecoderInput> rows) {
                    prefills[0]++;
                    return super.prefill(rows);
                }
            };
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> Generator.generate(counting, List.of(DecoderInput.ofTokens(1)), config,
                            SpecialTokens.of(0), ids -> "", null));
            assertTrue(e.getMessage().contains("numBeams"), e.getMessage());
            assertEquals(0, prefills[0], "nothing may run before the bound is checked");
        }
    }

    @Test
    void should_allow_close_twice() {
        Decoder d = newDecoder();
        assertNotNull(d.prefill(List.of(DecoderInput.ofTokens(1))));
        d.close();
        assertDoesNotThrow(d::close);
    }

    private DecoderInput prompt(SplittableRandom random, Decoder d, int length) {
        return DecoderInput.ofTokens(random.ints(length, 0, tokenBound(d.vocabSize())).toArray());
    }

    private void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": width");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            double excess = Math.abs(want[i] - got[i]) - (absTolerance() + relTolerance() * Math.abs(want[i]));
            if (excess > worst) {
                worst = excess;
                at = i;
            }
        }
        if (at >= 0) {
            throw new AssertionError(what + ": logit " + at + " is " + got[at] + " but should be " + want[at]
                    + " within " + absTolerance() + " + " + relTolerance() + "*|x| (seed " + SEED + ")");
        }
    }
}
