package org.vlalign.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.vlalign.DecodingStrategy;
import org.vlalign.FinishReason;
import org.vlalign.GenerationConfig;
import org.vlalign.spi.DecoderInput;

class BeamSearchTest {

    private static final double EPS = 1e-9;

    /**
     * With enough beams that no candidate is ever pruned (every live prefix continues, every eos
     * candidate ranks below numBeams, and fewer than numBeams hypotheses exist before the last
     * step), HF beam search returns exactly the best numBeams of all sequences.
     */
    @Test
    void should_equal_brute_force_when_beams_cover_every_sequence() {
        // vocab, eos ids, max new tokens, smallest and largest numBeams keeping the search exhaustive
        int[][] shapes = {{4, 1, 3, 36, 40}, {5, 2, 3, 45, 53}, {3, 1, 4, 24, 31}};
        double[] lengthPenalties = {1.0, 0.5, 2.0, -0.7, 0.0};
        Seeds.forEach("exhaustive beam search", 6, random -> {
            int[] shape = shapes[random.nextInt(shapes.length)];
            int vocab = shape[0];
            Set<Integer> eos = new HashSet<>();
            while (eos.size() < shape[1]) {
                eos.add(random.nextInt(vocab));
            }
            int maxNew = shape[2];
            int beams = shape[3] + random.nextInt(shape[4] - shape[3] + 1);
            double lp = lengthPenalties[random.nextInt(lengthPenalties.length)];
            double penalty = random.nextBoolean() ? 1.0 : 1.5;
            ToyDecoder decoder = ToyDecoder.random(vocab, 64, random.nextLong(), 1.5);
            List<DecoderInput> prompts = List.of(randomPrompt(random, vocab), randomPrompt(random, vocab));
            GenerationConfig config = GenerationConfig.builder()
                    .strategy(new DecodingStrategy.Beam(beams, lp, false))
                    .maxNewTokens(maxNew)
                    .eosTokenIds(List.copyOf(eos))
                    .repetitionPenalty(penalty)
                    .numReturnSequences(beams)
                    .build();
            GenerationResult result = generate(decoder, prompts, config);
            String context = "vocab=" + vocab + " eos=" + eos + " beams=" + beams + " lp=" + lp + " penalty=" + penalty;
            for (int r = 0; r < prompts.size(); r++) {
                List<BruteForce.Scored> all = BruteForce.enumerate(
                        decoder, ToyDecoder.historyOf(prompts.get(r)), eos, maxNew, lp, penalty, 0);
                List<GeneratedSequence> got = result.row(r).sequences();
                assertEquals(beams, got.size(), context);
                for (int i = 0; i < beams; i++) {
                    BruteForce.Scored want = all.get(i);
                    GeneratedSequence g = got.get(i);
                    String where = context + " row " + r + " rank " + i + ": want " + want + " got " + g;
                    assertArrayEquals(want.ids(), g.tokenIds(), where);
                    assertEquals(want.eos(), g.finishReason() == FinishReason.EOS, where);
                    assertEquals(want.score(), g.score(), EPS * Math.max(1, Math.abs(want.score())), where);
                    if (!want.eos()) {
                        assertEquals(FinishReason.MAX_TOKENS, g.finishReason(), where);
                    }
                }
            }
        });
    }

    /** For any beam width the returned sequences carry their exact HF score, best first. */
    @Test
    void should_score_every_returned_sequence_as_hf_when_beams_prune() {
        Seeds.forEach("pruned beam search scores", 40, random -> {
            int vocab = 5 + random.nextInt(4);
            int eosId = random.nextInt(vocab);
            Set<Integer> eos = Set.of(eosId);
            int beams = 1 + random.nextInt(vocab - 1);
            int maxNew = 1 + random.nextInt(vocab <= 6 ? 6 : 4);
            double lp = new double[] {1.0, 0.0, 0.5, 1.5, -1.0}[random.nextInt(5)];
            boolean early = random.nextBoolean();
            double penalty = random.nextBoolean() ? 1.0 : 1.3;
            int minNew = random.nextInt(Math.min(3, maxNew + 1));
            int returned = 1 + random.nextInt(beams);
            ToyDecoder decoder = ToyDecoder.random(vocab, 64, random.nextLong(), 1.0 + random.nextDouble() * 2);
            DecoderInput prompt = randomPrompt(random, vocab);
            GenerationConfig config = GenerationConfig.builder()
                    .strategy(new DecodingStrategy.Beam(beams, lp, early))
                    .maxNewTokens(maxNew)
                    .minNewTokens(minNew)
                    .eosTokenIds(List.of(eosId))
                    .repetitionPenalty(penalty)
                    .numReturnSequences(returned)
                    .build();
            List<GeneratedSequence> got = generate(decoder, List.of(prompt), config).row(0).sequences();
            assertEquals(returned, got.size());
            double globalBest = BruteForce.enumerate(
                    decoder, ToyDecoder.historyOf(prompt), eos, maxNew, lp, penalty, minNew).get(0).score();
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < got.size(); i++) {
                GeneratedSequence g = got.get(i);
                boolean endsWithEos = g.finishReason() == FinishReason.EOS;
                double want = BruteForce.score(decoder, ToyDecoder.historyOf(prompt), g.tokenIds(), endsWithEos,
                        eosId, lp, penalty, minNew);
                assertEquals(want, g.score(), EPS * Math.max(1, Math.abs(want)), "rank " + i + " " + g);
                assertTrue(g.score() <= globalBest + EPS * Math.max(1, Math.abs(globalBest)), "beats brute force");
                if (!endsWithEos) {
                    assertEquals(maxNew, g.length(), "a non-eos hypothesis is added at the length limit: " + g);
                    assertEquals(FinishReason.MAX_TOKENS, g.finishReason());
                } else {
                    assertTrue(g.length() >= minNew, "eos before minNewTokens: " + g);
                }
                if (i > 0) {
                    assertTrue(got.get(i - 1).score() >= g.score(), "not best first");
                }
                assertTrue(seen.add(Arrays.toString(g.tokenIds()) + endsWithEos), "duplicate " + g);
                for (int id : g.tokenIds()) {
                    assertTrue(id != eosId, "eos inside a sequence " + g);
                }
            }
        });
    }

    /**
     * A hand-made example (probabilities chosen so that every score can be worked out on paper)
     * where early stopping changes the answer. Ids: 0 eos, 1 "a", 2 "b"; two beams, length penalty 1,
     * at most 3 new tokens.
     */
    @Test
    void should_follow_hf_early_stopping_rules() {
        Map<String, double[]> probs = Map.of(
                "", new double[] {0.5, 0.3, 0.2},
                "1", new double[] {0.1, 0.15, 0.75},
                "2", new double[] {0.6, 0.3, 0.1},
                "1,2", new double[] {0.9, 0.05, 0.05},
                "2,1", new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0},
                "1,1", new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0});
        ToyDecoder.Logits logits = history -> {
            // history = [prompt token 1] + generated
            String key = Arrays.stream(history).skip(1).mapToObj(String::valueOf).collect(Collectors.joining(","));
            double[] p = probs.getOrDefault(key, new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0});
            float[] out = new float[3];
            for (int i = 0; i < 3; i++) {
                out[i] = (float) Math.log(p[i]);
            }
            return out;
        };
        DecoderInput prompt = DecoderInput.ofTokens(1);

        // early_stopping=True: after step 2 there are two hypotheses, [] (p 0.5) and [b] (0.2*0.6).
        List<GeneratedSequence> early = generate(new ToyDecoder(3, 16, logits), List.of(prompt), beamConfig(true))
                .row(0).sequences();
        assertArrayEquals(new int[0], early.get(0).tokenIds());
        assertEquals(Math.log(0.5), early.get(0).score(), 1e-6);
        assertArrayEquals(new int[] {2}, early.get(1).tokenIds());
        assertEquals(Math.log(0.2 * 0.6) / 2, early.get(1).score(), 1e-6);

        // early_stopping=False: the best running beam [a, b] (0.225 / 2 > worst) goes on and ends
        // with eos at step 3 (0.225*0.9 / 3), evicting [b].
        List<GeneratedSequence> late = generate(new ToyDecoder(3, 16, logits), List.of(prompt), beamConfig(false))
                .row(0).sequences();
        assertArrayEquals(new int[] {1, 2}, late.get(0).tokenIds());
        assertEquals(FinishReason.EOS, late.get(0).finishReason());
        assertEquals(Math.log(0.3 * 0.75 * 0.9) / 3, late.get(0).score(), 1e-6);
        assertArrayEquals(new int[0], late.get(1).tokenIds());
        assertEquals(Math.log(0.5), late.get(1).score(), 1e-6);
    }

    /**
     * A hand-made example where early_stopping=False must stop: after step 3 the best running
     * candidate, 0.38*0.45*0.28 over length 3, is below the worst of the two hypotheses, so the row
     * is done, although continuing would have found [a, a, a] + eos (score log(0.0465)/4).
     * Ids: 0 eos, 1 "a", 2 "b", 3 "c".
     */
    @Test
    void should_stop_when_no_running_beam_can_beat_the_worst_hypothesis() {
        Map<String, double[]> probs = Map.of(
                "", new double[] {0.5, 0.38, 0.1, 0.02},
                "1", new double[] {0.4, 0.45, 0.1, 0.05},
                "2", new double[] {0.1, 0.5, 0.3, 0.1},
                "1,1", new double[] {0.21, 0.28, 0.26, 0.25},
                "1,1,1", new double[] {0.97, 0.01, 0.01, 0.01});
        ToyDecoder decoder = new ToyDecoder(4, 16, history -> {
            String key = Arrays.stream(history).skip(1).mapToObj(String::valueOf).collect(Collectors.joining(","));
            double[] p = probs.getOrDefault(key, new double[] {0.25, 0.25, 0.25, 0.25});
            float[] out = new float[4];
            for (int i = 0; i < 4; i++) {
                out[i] = (float) Math.log(p[i]);
            }
            return out;
        });
        GenerationConfig config = beamConfig(false).toBuilder().maxNewTokens(4).build();
        List<GeneratedSequence> got = generate(decoder, List.of(DecoderInput.ofTokens(1)), config).row(0).sequences();
        assertArrayEquals(new int[0], got.get(0).tokenIds());
        assertEquals(Math.log(0.5), got.get(0).score(), 1e-6);
        assertArrayEquals(new int[] {1}, got.get(1).tokenIds());
        assertEquals(Math.log(0.38 * 0.4) / 2, got.get(1).score(), 1e-6);
        assertEquals(FinishReason.EOS, got.get(1).finishReason());
        assertEquals(2, decoder.stepCalls(), "done after the third token: only two steps were fed");
    }

    private static GenerationConfig beamConfig(boolean earlyStopping) {
        return GenerationConfig.builder()
                .strategy(new DecodingStrategy.Beam(2, 1.0, earlyStopping))
                .maxNewTokens(3)
                .eosTokenIds(List.of(0))
                .numReturnSequences(2)
                .build();
    }

    @Test
    void should_return_each_row_as_if_alone_when_batched() {
        Seeds.forEach("beam batch vs alone", 20, random -> {
            int vocab = 5 + random.nextInt(4);
            ToyDecoder decoderTemplate = ToyDecoder.random(vocab, 40, random.nextLong(), 2.0);
            int beams = 1 + random.nextInt(4);
            GenerationConfig config = GenerationConfig.builder()
                    .strategy(new DecodingStrategy.Beam(beams, 0.8, random.nextBoolean()))
                    .maxNewTokens(1 + random.nextInt(8))
                    .eosTokenIds(List.of(random.nextInt(vocab)))
                    .numReturnSequences(1 + random.nextInt(beams))
                    .build();
            List<DecoderInput> prompts = IntStream.range(0, 1 + random.nextInt(4))
                    .mapToObj(i -> randomPrompt(random, vocab))
                    .toList();
            ToyDecoder batchDecoder = copyOf(decoderTemplate, random);
            GenerationResult batch = generate(batchDecoder, prompts, config);
            for (int r = 0; r < prompts.size(); r++) {
                GenerationResult alone = generate(copyOf(decoderTemplate, random), List.of(prompts.get(r)), config);
                assertEquals(alone.row(0), batch.row(r), "row " + r);
            }
            assertEquals(1, batchDecoder.prefillCalls(), "prompts are prefilled once");
        });
    }

    @Test
    void should_stop_at_context_length_with_context_length_reason() {
        ToyDecoder decoder = ToyDecoder.random(6, 7, 42, 1.0);
        GenerationConfig config = GenerationConfig.builder()
                .strategy(DecodingStrategy.Beam.of(3))
                .maxNewTokens(50)
                .eosTokenIds(List.of())
                .numReturnSequences(3)
                .build();
        List<GeneratedSequence> got = generate(decoder, List.of(DecoderInput.ofTokens(1, 2, 3)), config)
                .row(0).sequences();
        for (GeneratedSequence g : got) {
            assertEquals(4, g.length(), "prompt 3 + 4 new = context 7");
            assertEquals(FinishReason.CONTEXT_LENGTH, g.finishReason());
        }
    }

    @Test
    void should_cut_final_text_before_a_stop_string() {
        // Token 0 is "a", 1 is "b": the best sequence is forced to be "abab" by the logits.
        ToyDecoder decoder = new ToyDecoder(8, 32, history -> {
            float[] out = new float[8];
            out[(history.length + 1) % 2] = 5f;
            return out;
        });
        GenerationConfig config = GenerationConfig.builder()
                .strategy(DecodingStrategy.Beam.of(2))
                .maxNewTokens(4)
                .stopStrings(List.of("ba"))
                .build();
        List<String> pieces = new ArrayList<>();
        GeneratedSequence best = Generator.generate(decoder, List.of(DecoderInput.ofTokens(5)), config,
                SpecialTokens.of(0, 2), new ToyDetokenizer(), List.of(pieces::add)).row(0).best();
        assertArrayEquals(new int[] {0, 1, 0, 1}, best.tokenIds());
        assertEquals("a", best.text());
        assertEquals(FinishReason.STOP_STRING, best.finishReason());
        assertEquals(List.of("a"), pieces, "beam search emits the best text once");
    }

    static GenerationResult generate(ToyDecoder decoder, List<DecoderInput> prompts, GenerationConfig config) {
        return Generator.generate(decoder, prompts, config, SpecialTokens.of(0), new ToyDetokenizer(Set.of()), null);
    }

    static ToyDecoder copyOf(ToyDecoder template, SplittableRandom unused) {
        return new ToyDecoder(template.vocabSize(), template.contextLength(), template::logitsOf);
    }

    /** 1 to 4 prompt tokens, sometimes after 1 or 2 embedding rows. */
    static DecoderInput randomPrompt(SplittableRandom random, int vocab) {
        int[] ids = random.ints(1 + random.nextInt(4), 0, vocab).toArray();
        if (random.nextInt(3) > 0) {
            return DecoderInput.ofTokens(ids);
        }
        int rows = 1 + random.nextInt(2);
        float[] data = new float[rows * 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return new DecoderInput(List.of(
                new DecoderInput.Embeddings(org.vlalign.Features.of(data, rows, 3)), new DecoderInput.Tokens(ids)));
    }
}
