package org.vlalign.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.DecodingStrategy;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.WeightFormat;
import org.vlalign.core.generate.GeneratedSequence;
import org.vlalign.spi.Decoder;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.TinyLlama;

/**
 * The prefix cache gives the answers a model without it gives: greedy and beam, with an image-like
 * embedding part before the question, for a chat's next turn, from several threads; and it stays within
 * its bound.
 */
class PrefixCacheTest {
    private static final int HIDDEN = 32;
    @TempDir
    static Path dir;
    private static Llama plain;

    @BeforeAll
    static void writeModel() throws Exception {
        TinyLlama.builder().kvHeads(2).maxPos(256).write(dir);
        plain = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 2).withPrefixCache(0));
    }

    @AfterAll
    static void close() {
        plain.close();
    }

    /** An image-like prompt: BOS, 37 embedding rows (more than two cache blocks), then question tokens. */
    private static DecoderInput imagePrompt(Features image, int... question) {
        return new DecoderInput(List.of(new DecoderInput.Tokens(new int[] {1}), new DecoderInput.Embeddings(image),
                new DecoderInput.Tokens(question)));
    }

    private static Features image(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] data = new float[37 * HIDDEN];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return Features.of(data, 37, HIDDEN);
    }

    private static int[] answer(Llama lm, DecoderInput in, GenerationConfig config) {
        GeneratedSequence best = lm.run(List.of(in), config, null).row(0).best();
        return best.tokenIds();
    }

    private static GenerationConfig greedy() {
        return GenerationConfig.builder().maxNewTokens(12).minNewTokens(12).build();
    }

    @Test
    void should_answer_a_second_question_about_the_same_image_as_without_the_cache_reusing_the_image() {
        try (Llama cached = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 2))) {
            Features img = image(1);
            DecoderInput first = imagePrompt(img, 5, 6, 7);
            DecoderInput second = imagePrompt(img, 9, 10);
            assertArrayEquals(answer(plain, first, greedy()), answer(cached, first, greedy()));
            assertEquals(0, cached.prefixCacheStats().hits(), "nothing to reuse for the first question");
            assertArrayEquals(answer(plain, second, greedy()), answer(cached, second, greedy()));
            PrefixCacheStats s = cached.prefixCacheStats();
            assertEquals(1, s.hits(), s.toString());
            assertEquals(1 + 37, s.reusedPositions(), "BOS and the image rows are reused, the question is not");

            DecoderInput otherImage = imagePrompt(image(2), 9, 10); // same question, another image
            assertArrayEquals(answer(plain, otherImage, greedy()), answer(cached, otherImage, greedy()));
            assertEquals(1 + 37 + 1, cached.prefixCacheStats().reusedPositions(), "only BOS is shared");
        }
    }

    @Test
    void should_give_the_same_beams_and_the_same_logits_with_the_cache() {
        GenerationConfig beams = GenerationConfig.builder().maxNewTokens(10).strategy(DecodingStrategy.Beam.of(3))
                .numReturnSequences(3).build();
        try (Llama cached = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 2))) {
            Features img = image(3);
            answer(cached, imagePrompt(img, 4), beams); // fills the cache
            DecoderInput q = imagePrompt(img, 11, 12, 13);
            List<GeneratedSequence> want = plain.run(List.of(q), beams, null).row(0).sequences();
            List<GeneratedSequence> got = cached.run(List.of(q), beams, null).row(0).sequences();
            assertEquals(want.size(), got.size());
            for (int i = 0; i < want.size(); i++) {
                assertArrayEquals(want.get(i).tokenIds(), got.get(i).tokenIds(), "beam " + i);
                assertEquals(want.get(i).score(), got.get(i).score(), 1e-4, "beam " + i);
            }
            assertTrue(cached.prefixCacheStats().hits() >= 1, cached.prefixCacheStats().toString());
            try (Decoder a = plain.newDecoder(); Decoder b = cached.newDecoder()) {
                DecoderInput r = imagePrompt(img, 20, 21);
                float[] la = a.prefill(List.of(r))[0];
                long before = cached.prefixCacheStats().hits();
                float[] lb = b.prefill(List.of(r))[0];
                assertEquals(before + 1, cached.prefixCacheStats().hits());
                for (int i = 0; i < la.length; i++) {
                    assertEquals(la[i], lb[i], 1e-4 * (1 + Math.abs(la[i])), "logit " + i);
                }
                int[] step = {7};
                float[] sa = a.step(step)[0];
                float[] sb = b.step(step)[0];
                for (int i = 0; i < sa.length; i++) {
                    assertEquals(sa[i], sb[i], 1e-4 * (1 + Math.abs(sa[i])), "step logit " + i);
                }
            }
        }
    }

    @Test
    void should_reuse_a_chat_turn_and_its_answer_for_the_next_turn() {
        try (Llama cached = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 1))) {
            Features img = image(4);
            DecoderInput turn1 = imagePrompt(img, 5, 6);
            int[] a1 = answer(cached, turn1, greedy());
            int[] next = new int[2 + a1.length + 2]; // question, the first answer, the next question
            next[0] = 5;
            next[1] = 6;
            System.arraycopy(a1, 0, next, 2, a1.length);
            next[next.length - 2] = 14;
            next[next.length - 1] = 15;
            DecoderInput turn2 = imagePrompt(img, next);
            assertArrayEquals(answer(plain, turn2, greedy()), answer(cached, turn2, greedy()));
            // the first turn's session kept its prompt and every token it fed back (all but the last one)
            assertEquals(1 + 37 + 2 + a1.length - 1, cached.prefixCacheStats().reusedPositions());
        }
    }

    @Test
    void should_stay_within_its_bound_and_count_nothing_when_off() {
        long oneImage = 2L * 3 * 16 * 16 * Float.BYTES * 2; // 3 blocks of 16 positions, 2 layers, k and v, kvDim 16
        try (Llama small = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 1).withPrefixCache(oneImage))) {
            for (int i = 0; i < 4; i++) {
                answer(small, imagePrompt(image(10 + i), 5), GenerationConfig.builder().maxNewTokens(2).build());
                PrefixCacheStats s = small.prefixCacheStats();
                assertTrue(s.bytes() <= s.maxBytes(), s.toString());
                assertEquals(1, s.entries(), "each new image evicts the last: " + s);
            }
            small.clearPrefixCache();
            assertEquals(0, small.prefixCacheStats().entries());
        }
        answer(plain, imagePrompt(image(5), 5), greedy());
        assertEquals(new PrefixCacheStats(0, 0, 0, 0, 0, 0), plain.prefixCacheStats());
    }

    @Test
    void should_give_sequential_answers_to_concurrent_questions_about_one_image() throws Exception {
        Features img = image(6);
        List<DecoderInput> questions = new ArrayList<>();
        for (int q = 0; q < 8; q++) {
            questions.add(imagePrompt(img, 3 + q, 20 - q));
        }
        List<int[]> want = new ArrayList<>();
        for (DecoderInput q : questions) {
            want.add(answer(plain, q, greedy()));
        }
        try (Llama cached = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 2))) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<int[]>> got = new ArrayList<>();
                for (DecoderInput q : questions) {
                    got.add(pool.submit(() -> answer(cached, q, greedy())));
                }
                for (int i = 0; i < got.size(); i++) {
                    assertArrayEquals(want.get(i), got.get(i).get(), "question " + i);
                }
            } finally {
                pool.shutdownNow();
            }
            assertTrue(cached.prefixCacheStats().hits() >= 1, cached.prefixCacheStats().toString());
        }
    }
}
