package org.vlalign.torch.internal.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.vlalign.Answer;
import org.vlalign.DecodingStrategy;
import org.vlalign.Features;
import org.vlalign.FinishReason;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.core.generate.Generator;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.TinyLlama;
import org.vlalign.testing.WordLevelTokenizer;

class LlamaLanguageModelTest {

    @RegisterExtension
    static final TinyLlamaFixture<LlamaLanguageModel> LM = TinyLlamaFixture.languageModel(40);

    @TempDir
    static Path tmp;

    /** Greedy decoding written directly against the decoder: the reference for the generator path. */
    private static int[] greedy(int[] prompt, int n) {
        int[] out = new int[n];
        try (LlamaDecoder d = new LlamaDecoder(LM.get().model())) {
            float[] logits = d.prefill(List.of(DecoderInput.ofTokens(prompt)))[0];
            for (int i = 0; i < n; i++) {
                out[i] = Generator.argmax(logits);
                logits = d.step(new int[] {out[i]})[0];
            }
        }
        return out;
    }

    private static GenerationConfig greedyConfig(int n) {
        // an eos id the tiny model never ranks first keeps every answer at n tokens
        return GenerationConfig.builder().maxNewTokens(n).eosTokenIds(List.of(63)).build();
    }

    @Test
    void should_generate_the_greedy_continuation_of_a_token_prompt() {
        Answer a = LM.get().generate(Prompt.builder().bos().tokens(7, 8, 9).build(), greedyConfig(6));
        int[] expected = greedy(new int[] {1, 7, 8, 9}, 6);
        if (a.finishReason() == FinishReason.EOS) {
            expected = java.util.Arrays.copyOf(expected, a.tokenIds().length);
        }
        assertArrayEquals(expected, a.tokenIds());
        assertEquals(4, a.promptTokens());
        assertTrue(a.score() <= 0, "log-probability sum");
    }

    @Test
    void should_answer_each_prompt_of_a_batch_as_alone() {
        List<Prompt> prompts = List.of(Prompt.builder().bos().tokens(5, 6, 7, 8, 9, 10).build(),
                Prompt.builder().bos().tokens(11).build(), Prompt.builder().tokens(3, 4, 5).build());
        List<Answer> batch = LM.get().generateBatch(prompts, greedyConfig(5));
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(LM.get().generate(prompts.get(i), greedyConfig(5)).tokenIds(), batch.get(i).tokenIds(),
                    "prompt " + i);
        }
    }

    @Test
    void should_map_bos_and_eos_segments_to_the_model_ids() {
        // The tiny model's config has bos 1 and eos 2 (the HF Llama defaults).
        Answer viaSegments = LM.get().generate(Prompt.builder().bos().tokens(7, 8).eos().bos().tokens(9).build(),
                greedyConfig(4));
        Answer viaIds = LM.get().generate(Prompt.builder().tokens(1, 7, 8, 2, 1, 9).build(), greedyConfig(4));
        assertArrayEquals(viaIds.tokenIds(), viaSegments.tokenIds());
        assertEquals(6, viaSegments.promptTokens());
    }

    @Test
    void should_accept_embedding_segments_equal_to_token_embeddings() {
        float[] rows;
        try (NDManager call = LM.get().model().manager().newSubManager()) {
            rows = LM.get().model().embedTokens(call, new int[] {20, 21, 22}).toFloatArray();
        }
        Answer viaTokens = LM.get().generate(Prompt.builder().bos().tokens(20, 21, 22).build(), greedyConfig(4));
        Answer viaEmbeds = LM.get().generate(Prompt.builder().bos().embeddings(Features.of(rows, 3, 32)).build(),
                greedyConfig(4));
        assertArrayEquals(viaTokens.tokenIds(), viaEmbeds.tokenIds());
    }

    @Test
    void should_return_beam_alternatives_sorted_by_score() {
        GenerationConfig cfg = GenerationConfig.builder().strategy(DecodingStrategy.Beam.of(3)).maxNewTokens(4)
                .numReturnSequences(3).eosTokenIds(List.of(63)).build();
        Answer a = LM.get().generate(Prompt.builder().bos().tokens(2, 3).build(), cfg);
        assertEquals(2, a.alternatives().size());
        assertTrue(a.score() >= a.alternatives().get(0).score());
        assertTrue(a.alternatives().get(0).score() >= a.alternatives().get(1).score());
    }

    @Test
    void should_reject_bad_prompts_with_invalid_argument() {
        InvalidArgumentException text = assertThrows(InvalidArgumentException.class,
                () -> LM.get().generate(Prompt.builder().text("hi").build(), greedyConfig(2)));
        assertTrue(text.getMessage().contains("tokenizer"), text.getMessage());
        InvalidArgumentException width = assertThrows(InvalidArgumentException.class,
                () -> LM.get().generate(Prompt.builder().embeddings(Features.of(new float[8], 2, 4)).build(), greedyConfig(2)));
        assertTrue(width.getMessage().contains("hidden size is 32"), width.getMessage());
        int[] tooLong = new int[40];
        assertThrows(InvalidArgumentException.class,
                () -> LM.get().generate(Prompt.builder().tokens(tooLong).build(), greedyConfig(2)));
    }

    @Test
    void should_stop_at_the_context_length() {
        Answer a = LM.get().generate(Prompt.builder().tokens(new int[35]).build(), greedyConfig(20));
        assertTrue(a.tokenIds().length <= 5, "at most context - prompt tokens: " + a.tokenIds().length);
        if (a.finishReason() != FinishReason.EOS) {
            assertEquals(FinishReason.CONTEXT_LENGTH, a.finishReason());
        }
    }

    @Test
    void should_release_every_session_array_after_generate() {
        int before = LM.get().model().manager().getManagedArrays().size();
        GenerationConfig beam = GenerationConfig.builder().strategy(DecodingStrategy.Beam.of(3)).maxNewTokens(6)
                .eosTokenIds(List.of(63)).build();
        for (int i = 0; i < 3; i++) {
            LM.get().generate(Prompt.builder().bos().tokens(9, 10 + i).build(), greedyConfig(6));
            LM.get().generateBatch(List.of(Prompt.builder().tokens(4, 5).build(), Prompt.builder().tokens(6).build()), beam);
        }
        assertEquals(before, LM.get().model().manager().getManagedArrays().size());
    }

    @Test
    void should_generate_concurrently_from_shared_weights() throws Exception {
        Prompt p = Prompt.builder().bos().tokens(30, 31).build();
        int[] expected = LM.get().generate(p, greedyConfig(8)).tokenIds();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<int[]>> futures = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                futures.add(pool.submit(() -> LM.get().generate(p, greedyConfig(8)).tokenIds()));
            }
            for (Future<int[]> f : futures) {
                assertArrayEquals(expected, f.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void should_tokenize_text_segments_when_the_checkpoint_has_a_tokenizer() throws IOException {
        Path dir = TinyLlama.builder().write(tmp.resolve("tok"));
        WordLevelTokenizer.writeLlamaStyle(dir, "hello", "world");
        try (LlamaLanguageModel withTok = LlamaLanguageModel.load(dir)) {
            assertArrayEquals(new int[] {4, 5}, withTok.encode("hello world"));
            Answer viaText = withTok.generate(Prompt.builder().bos().text("hello world").build(), greedyConfig(3));
            Answer viaIds = withTok.generate(Prompt.builder().tokens(1, 4, 5).build(), greedyConfig(3));
            assertArrayEquals(viaIds.tokenIds(), viaText.tokenIds());
            assertEquals(withTok.decode(viaText.tokenIds()), viaText.text());
        }
    }
}
