package org.vlalign.core.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;

class GenerationBoundsTest {
    /** A Llama-2-7B shaped cache: 32 layers, keys and values of 4096 floats: 1 MiB per position. */
    private static final long LLAMA_7B_POSITION = 32L * 2 * 4096 * Float.BYTES;

    /** A decoder that reports a 7B-sized cache and a 23 GB machine, and fails if anything runs. */
    private static Decoder sevenB(int vocab) {
        return new ForwardingDecoder(ToyDecoder.random(vocab, 4096, 1, 1)) {
            @Override
            public float[][] prefill(List<DecoderInput> rows) {
                throw new AssertionError("prefill ran before the memory bound was checked");
            }

            @Override
            public long cacheBytesPerPosition() {
                return LLAMA_7B_POSITION;
            }

            @Override
            public long cacheBytesAvailable() {
                return 23L << 30;
            }
        };
    }

    @Test
    void should_refuse_100000_beams_naming_the_limit_before_prefill() {
        GenerationConfig config = GenerationConfig.builder().strategy(DecodingStrategy.Beam.of(100_000)).build();
        try (Decoder d = sevenB(16)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> Generator.generate(d, List.of(DecoderInput.ofTokens(1, 2, 3)), config,
                            SpecialTokens.of(0), ids -> "", null));
            assertTrue(e.getMessage().contains("numBeams=100000"), e.getMessage());
            assertTrue(e.getMessage().contains("memory limit of 23.0 GiB"), e.getMessage());
        }
    }

    @Test
    void should_refuse_a_batch_of_samples_whose_cache_cannot_fit() {
        GenerationConfig config = GenerationConfig.builder()
                .strategy(DecodingStrategy.Sampling.of(1.0))
                .numReturnSequences(64)
                .maxNewTokens(1000)
                .build();
        List<DecoderInput> batch = java.util.Collections.nCopies(8, DecoderInput.ofTokens(1, 2));
        try (Decoder d = sevenB(16)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> Generator.generate(d, batch, config, SpecialTokens.of(0), ids -> "", null));
            assertTrue(e.getMessage().contains("512 sequences"), e.getMessage());
            assertTrue(e.getMessage().contains("numReturnSequences"), e.getMessage());
        }
    }

    @Test
    void should_refuse_logits_that_cannot_fit_the_heap() {
        GenerationConfig config = GenerationConfig.builder().strategy(DecodingStrategy.Beam.of(100_000)).build();
        RowPlan[] plans = {new RowPlan(3, new int[0], 10, org.vlalign.FinishReason.MAX_TOKENS)};
        try (Decoder d = ToyDecoder.random(32_000, 4096, 1, 1)) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> GenerationBounds.check(d, plans, config, 32_000, 3L << 30));
            assertTrue(e.getMessage().contains("Java heap limit of 3.0 GiB"), e.getMessage());
        }
    }

    @Test
    void should_accept_what_fits() {
        GenerationConfig config = GenerationConfig.builder().strategy(DecodingStrategy.Beam.of(4))
                .maxNewTokens(3).build();
        RowPlan[] plans = {new RowPlan(3, new int[0], 3, org.vlalign.FinishReason.MAX_TOKENS)};
        GenerationBounds.check(sevenB(16), plans, config, 16, 1L << 30);
        GenerationResult r = Generator.generate(ToyDecoder.random(16, 64, 1, 1),
                List.of(DecoderInput.ofTokens(1, 2, 3)), config, SpecialTokens.of(0), ids -> "", null);
        assertEquals(3, r.row(0).best().tokenIds().length);
    }

    @Test
    void should_read_mem_available_in_bytes() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("meminfo", "");
        try {
            java.nio.file.Files.writeString(f, "MemTotal:       24000000 kB\nMemAvailable:   1000 kB\n");
            assertEquals(1000L * 1024, MemoryBudget.memAvailable(f));
            assertEquals(-1, MemoryBudget.memAvailable(f.resolveSibling("missing-meminfo")));
        } finally {
            java.nio.file.Files.delete(f);
        }
    }
}
