package org.vlalign.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.DecodingStrategy;
import org.vlalign.FinishReason;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Timings;
import org.vlalign.spi.DecoderInput;

class GreedySearchTest {

    @Test
    void should_equal_beam_search_with_one_beam() {
        Seeds.forEach("greedy vs Beam(1)", 60, random -> {
            int vocab = 5 + random.nextInt(4);
            ToyDecoder.Logits logits = ToyDecoder.randomLogits(vocab, random.nextLong(), 1.0 + 2 * random.nextDouble());
            // Without eos ids beam search only ends at the length limit; with them, early stopping
            // makes one beam stop at its first eos, as greedy does.
            List<Integer> eos = random.nextBoolean() ? List.of(random.nextInt(vocab)) : List.of();
            int maxNew = 1 + random.nextInt(12);
            int minNew = random.nextInt(Math.min(4, maxNew + 1));
            List<DecoderInput> prompts = IntStream.range(0, 1 + random.nextInt(3))
                    .mapToObj(i -> BeamSearchTest.randomPrompt(random, vocab)).toList();
            GenerationConfig greedy = GenerationConfig.builder()
                    .maxNewTokens(maxNew).minNewTokens(minNew).eosTokenIds(eos).build();
            GenerationConfig beam = greedy.toBuilder().strategy(new DecodingStrategy.Beam(1, 1.0, true)).build();
            GenerationResult g = BeamSearchTest.generate(new ToyDecoder(vocab, 64, logits), prompts, greedy);
            GenerationResult b = BeamSearchTest.generate(new ToyDecoder(vocab, 64, logits), prompts, beam);
            for (int r = 0; r < prompts.size(); r++) {
                assertArrayEquals(b.row(r).best().tokenIds(), g.row(r).best().tokenIds(), "row " + r);
                assertEquals(b.row(r).best().finishReason(), g.row(r).best().finishReason(), "row " + r);
            }
        });
    }

    @Test
    void should_pick_the_argmax_and_sum_its_log_probabilities() {
        Seeds.forEach("greedy argmax", 40, random -> {
            int vocab = 5 + random.nextInt(4);
            ToyDecoder decoder = ToyDecoder.random(vocab, 64, random.nextLong(), 2.0);
            int eos = random.nextInt(vocab);
            DecoderInput prompt = BeamSearchTest.randomPrompt(random, vocab);
            GenerationConfig config = GenerationConfig.builder()
                    .maxNewTokens(1 + random.nextInt(15)).eosTokenIds(List.of(eos)).build();
            GeneratedSequence s = BeamSearchTest.generate(decoder, List.of(prompt), config).row(0).best();
            int[] prompted = ToyDecoder.historyOf(prompt);
            int[] ids = s.tokenIds();
            double score = 0;
            for (int i = 0; i <= ids.length; i++) {
                if (i == ids.length && s.finishReason() != FinishReason.EOS) {
                    break;
                }
                int chosen = i < ids.length ? ids[i] : eos;
                float[] l = decoder.logitsOf(BruteForce.concat(prompted, Arrays.copyOf(ids, i)));
                for (int v = 0; v < vocab; v++) {
                    assertTrue(l[v] < l[chosen] || (l[v] == l[chosen] && v >= chosen), "not the argmax at " + i);
                }
                score += BruteForce.tokenLogProb(decoder, prompted, Arrays.copyOf(ids, i), chosen, false, 1.0, 0);
                if (i < ids.length) {
                    assertTrue(chosen != eos, "eos inside the ids");
                }
            }
            assertEquals(score, s.score(), 1e-9);
            if (s.finishReason() != FinishReason.EOS) {
                assertEquals(FinishReason.MAX_TOKENS, s.finishReason());
                assertEquals(config.maxNewTokens(), s.length());
            }
        });
    }

    @Test
    void should_return_each_row_as_if_alone_and_drop_finished_rows() {
        Seeds.forEach("greedy batch vs alone", 40, random -> {
            int vocab = 5 + random.nextInt(4);
            ToyDecoder.Logits logits = ToyDecoder.randomLogits(vocab, random.nextLong(), 2.0);
            int context = 8 + random.nextInt(8);
            GenerationConfig config = GenerationConfig.builder()
                    .maxNewTokens(1 + random.nextInt(12))
                    .eosTokenIds(List.of(random.nextInt(vocab)))
                    .repetitionPenalty(random.nextBoolean() ? 1.0 : 1.4)
                    .stopStrings(random.nextBoolean() ? List.of("ab") : List.of())
                    .build();
            List<DecoderInput> prompts = IntStream.range(0, 2 + random.nextInt(4))
                    .mapToObj(i -> BeamSearchTest.randomPrompt(random, vocab)).toList();
            ToyDecoder batchDecoder = new ToyDecoder(vocab, context, logits);
            GenerationResult batch = Generator.generate(
                    batchDecoder, prompts, config, SpecialTokens.of(0), new ToyDetokenizer(), null);
            long fed = 0;
            for (int r = 0; r < prompts.size(); r++) {
                GenerationResult alone = Generator.generate(new ToyDecoder(vocab, context, logits),
                        List.of(prompts.get(r)), config, SpecialTokens.of(0), new ToyDetokenizer(), null);
                GeneratedSequence s = batch.row(r).best();
                assertEquals(alone.row(0), batch.row(r), "row " + r);
                // A sequence feeds every generated token to the decoder except the one it ended on.
                fed += s.finishReason() == FinishReason.EOS ? s.length() : s.length() - 1;
            }
            assertEquals(fed, batchDecoder.rowSteps(), "finished rows must not be stepped");
        });
    }

    @Test
    void should_stop_at_the_context_length() {
        ToyDecoder decoder = new ToyDecoder(6, 10, history -> new float[] {0, 3, 1, 0, 0, 0});
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(20).eosTokenIds(List.of(2)).build();
        List<DecoderInput> prompts = List.of(DecoderInput.ofTokens(1, 1, 1, 1), DecoderInput.ofTokens(3, 3, 3, 3, 3, 3, 3, 3, 3));
        GenerationResult result = BeamSearchTest.generate(decoder, prompts, config);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1}, result.row(0).best().tokenIds());
        assertEquals(FinishReason.CONTEXT_LENGTH, result.row(0).best().finishReason());
        assertEquals(1, result.row(1).best().length());
        assertEquals(FinishReason.CONTEXT_LENGTH, result.row(1).best().finishReason());
        GenerationConfig exact = config.toBuilder().maxNewTokens(6).build();
        assertEquals(FinishReason.MAX_TOKENS,
                BeamSearchTest.generate(new ToyDecoder(6, 10, history -> new float[] {0, 3, 1, 0, 0, 0}),
                        prompts.subList(0, 1), exact).row(0).best().finishReason(),
                "reaching maxNewTokens exactly at the context end is MAX_TOKENS");
    }

    @Test
    void should_reject_a_prompt_that_fills_the_context() {
        ToyDecoder decoder = ToyDecoder.random(6, 5, 1, 1.0);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> BeamSearchTest.generate(decoder,
                        List.of(DecoderInput.ofTokens(1, 2), DecoderInput.ofTokens(1, 2, 3, 4, 5)),
                        GenerationConfig.DEFAULT));
        assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("5 positions")
                && e.getMessage().contains("context length is 5"), e.getMessage());
        assertEquals(0, decoder.prefillCalls(), "checked before the prefill");
    }

    @Test
    void should_reject_listeners_that_do_not_match_the_rows_and_eos_outside_the_vocabulary() {
        ToyDecoder decoder = ToyDecoder.random(6, 16, 1, 1.0);
        List<DecoderInput> prompts = List.of(DecoderInput.ofTokens(1));
        assertThrows(InvalidArgumentException.class, () -> Generator.generate(decoder, prompts,
                GenerationConfig.DEFAULT, SpecialTokens.of(0), new ToyDetokenizer(), List.of(t -> { }, t -> { })));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> Generator.generate(decoder,
                prompts, GenerationConfig.DEFAULT, SpecialTokens.of(0, 6), new ToyDetokenizer(), null));
        assertTrue(e.getMessage().contains("6"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> Generator.generate(decoder, List.of(),
                GenerationConfig.DEFAULT, SpecialTokens.of(0), new ToyDetokenizer(), null));
    }

    @Test
    void should_suppress_eos_until_min_new_tokens() {
        // eos (2) is always the most likely token, then 0 ("a").
        ToyDecoder.Logits logits = history -> new float[] {1, 0, 5, 0, 0, 0, 0, 0};
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(10).minNewTokens(3).build();
        GeneratedSequence s = Generator.generate(new ToyDecoder(8, 32, logits), List.of(DecoderInput.ofTokens(5)),
                config, SpecialTokens.of(0, 2), new ToyDetokenizer(), null).row(0).best();
        assertArrayEquals(new int[] {0, 0, 0}, s.tokenIds());
        assertEquals(FinishReason.EOS, s.finishReason());
        assertEquals("aaa", s.text());
        // While eos is suppressed, "a" has probability e^1/(e^1+7) under the processed logits.
        double pA = Math.exp(1) / (Math.exp(1) + 6);
        double pEos = Math.exp(5) / (Math.exp(5) + Math.exp(1) + 6);
        assertEquals(3 * Math.log(pA) + Math.log(pEos), s.score(), 1e-6);
    }

    @Test
    void should_stop_at_any_of_several_eos_ids_and_let_the_config_override_the_model() {
        // The preferred token follows a fixed cycle 0, 1, 3, 4, 5, ... by position.
        int[] cycle = {0, 1, 3, 4, 5, 6, 7};
        ToyDecoder.Logits logits = history -> {
            float[] out = new float[8];
            out[cycle[(history.length - 1) % cycle.length]] = 4;
            return out;
        };
        DecoderInput prompt = DecoderInput.ofTokens(5);
        GenerationConfig modelEos = GenerationConfig.builder().maxNewTokens(10).build();
        GeneratedSequence a = Generator.generate(new ToyDecoder(8, 32, logits), List.of(prompt), modelEos,
                SpecialTokens.of(0, 4, 3), new ToyDetokenizer(), null).row(0).best();
        assertArrayEquals(new int[] {0, 1}, a.tokenIds(), "3 is one of the model's eos ids");
        assertEquals(FinishReason.EOS, a.finishReason());
        GenerationConfig override = modelEos.toBuilder().eosTokenIds(List.of(6, 5)).build();
        GeneratedSequence b = Generator.generate(new ToyDecoder(8, 32, logits), List.of(prompt), override,
                SpecialTokens.of(0, 4, 3), new ToyDetokenizer(), null).row(0).best();
        assertArrayEquals(new int[] {0, 1, 3, 4}, b.tokenIds(), "the config's eos ids replace the model's");
        assertEquals(FinishReason.EOS, b.finishReason());
    }

    @Test
    void should_penalise_tokens_of_the_prompt_and_of_the_output() {
        // Logits: token 0 at 2.0, token 1 at 1.5, token 3 at -0.5, token 4 at -0.8, others -5.
        ToyDecoder.Logits logits = history -> new float[] {2f, 1.5f, -5f, -0.5f, -0.8f, -5f, -5f, -5f};
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(4).repetitionPenalty(2.0).build();
        GeneratedSequence s = Generator.generate(new ToyDecoder(8, 32, logits), List.of(DecoderInput.ofTokens(0, 5)),
                config, SpecialTokens.of(0, 2), new ToyDetokenizer(), null).row(0).best();
        // 0 is in the prompt: 2/2 = 1 < 1.5, so 1 wins; then 1 is penalised to 0.75 < 1 (token 0);
        // then both are penalised (1, 0.75): 0 wins again; then 0 again.
        assertArrayEquals(new int[] {1, 0, 0, 0}, s.tokenIds());
        // Negative logits are multiplied: with 0 and 1 suppressed far below, -0.5*2 = -1 < -0.8.
        ToyDecoder.Logits negative = history -> new float[] {-9f, -9f, -9f, -0.5f, -0.8f, -9f, -9f, -9f};
        GeneratedSequence n = Generator.generate(new ToyDecoder(8, 32, negative), List.of(DecoderInput.ofTokens(3)),
                config.toBuilder().maxNewTokens(1).build(), SpecialTokens.of(0, 2), new ToyDetokenizer(), null)
                .row(0).best();
        assertArrayEquals(new int[] {4}, n.tokenIds());
    }

    @Test
    void should_build_an_answer_with_the_best_sequence_and_alternatives() {
        ToyDecoder decoder = ToyDecoder.random(8, 32, 7, 1.0);
        GenerationConfig config = GenerationConfig.builder()
                .strategy(DecodingStrategy.Beam.of(3)).numReturnSequences(3).maxNewTokens(4).build();
        GenerationResult result = Generator.generate(decoder, List.of(DecoderInput.ofTokens(1, 5)), config,
                SpecialTokens.of(0, 2), new ToyDetokenizer(), null);
        Answer answer = Generator.toAnswer(result.row(0), 2, result.timings());
        List<GeneratedSequence> seqs = result.row(0).sequences();
        assertEquals(seqs.get(0).text(), answer.text());
        assertArrayEquals(seqs.get(0).tokenIds(), answer.tokenIds());
        assertEquals(seqs.get(0).score(), answer.score());
        assertEquals(2, answer.promptTokens());
        assertEquals(2, answer.alternatives().size());
        assertArrayEquals(seqs.get(2).tokenIds(), answer.alternatives().get(1).tokenIds());
        assertEquals(Timings.ZERO.preprocess(), result.timings().preprocess());
    }

    @Test
    void should_not_step_a_row_after_its_eos() {
        // Two rows: one ends at once (eos most likely after "b"), the other runs to the limit.
        ToyDecoder.Logits logits = history -> {
            float[] out = new float[8];
            out[history[0] == 1 ? 2 : 0] = 3;
            return out;
        };
        ToyDecoder decoder = new ToyDecoder(8, 32, logits);
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(5).build();
        GenerationResult result = Generator.generate(decoder,
                List.of(DecoderInput.ofTokens(1), DecoderInput.ofTokens(0)), config,
                SpecialTokens.of(0, 2), new ToyDetokenizer(Set.of(2)), null);
        assertEquals(0, result.row(0).best().length());
        assertEquals(FinishReason.EOS, result.row(0).best().finishReason());
        assertEquals("", result.row(0).best().text());
        assertEquals("aaaaa", result.row(1).best().text());
        assertEquals(4, decoder.rowSteps(), "only the running row is stepped");
    }
}
