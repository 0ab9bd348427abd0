package org.vlalign.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.spi.DecoderInput;

class SamplingTest {

    /** Probabilities of a fixed next-token distribution, as logits = log p. */
    private static final double[] P = {0.4, 0.25, 0.15, 0.1, 0.05, 0.03, 0.01, 0.01};
    private static final int DRAWS = 4000;

    @Test
    void should_reproduce_the_same_sequences_with_the_same_seed() {
        Seeds.forEach("sampling reproducible", 20, random -> {
            int vocab = 5 + random.nextInt(4);
            ToyDecoder.Logits logits = ToyDecoder.randomLogits(vocab, random.nextLong(), 1.0);
            GenerationConfig config = GenerationConfig.builder()
                    .strategy(new DecodingStrategy.Sampling(0.5 + random.nextDouble(), random.nextInt(4), 0.5 + random.nextDouble() / 2))
                    .maxNewTokens(1 + random.nextInt(10))
                    .numReturnSequences(1 + random.nextInt(3))
                    .eosTokenIds(List.of(random.nextInt(vocab)))
                    .seed(random.nextLong())
                    .build();
            List<DecoderInput> prompts = List.of(BeamSearchTest.randomPrompt(random, vocab));
            GenerationResult a = BeamSearchTest.generate(new ToyDecoder(vocab, 64, logits), prompts, config);
            GenerationResult b = BeamSearchTest.generate(new ToyDecoder(vocab, 64, logits), prompts, config);
            assertEquals(a.rows(), b.rows());
        });
    }

    @Test
    void should_draw_different_sequences_with_different_seeds() {
        ToyDecoder.Logits logits = ToyDecoder.randomLogits(8, 99, 0.3);
        Set<String> outputs = new HashSet<>();
        for (long seed = 0; seed < 30; seed++) {
            GenerationConfig config = GenerationConfig.builder()
                    .strategy(DecodingStrategy.Sampling.of(1.0)).maxNewTokens(8).seed(seed).build();
            outputs.add(Arrays.toString(BeamSearchTest.generate(new ToyDecoder(8, 64, logits),
                    List.of(DecoderInput.ofTokens(1)), config).row(0).best().tokenIds()));
        }
        // Near-uniform over 8 tokens, 8 steps: 30 draws collide with probability below 1e-5.
        assertTrue(outputs.size() >= 29, "only " + outputs.size() + " distinct samples out of 30");
    }

    @Test
    void should_sample_from_the_softmax() {
        assertFrequencies(DecodingStrategy.Sampling.of(1.0), P);
    }

    @Test
    void should_sample_from_the_tempered_softmax() {
        double[] q = new double[P.length];
        double z = 0;
        for (int i = 0; i < P.length; i++) {
            q[i] = Math.sqrt(P[i]); // temperature 2: p^(1/2), renormalised
            z += q[i];
        }
        for (int i = 0; i < P.length; i++) {
            q[i] /= z;
        }
        assertFrequencies(DecodingStrategy.Sampling.of(2.0), q);
    }

    @Test
    void should_keep_only_the_top_k_tokens() {
        double[] q = new double[P.length];
        q[0] = 0.4 / 0.65;
        q[1] = 0.25 / 0.65;
        assertFrequencies(new DecodingStrategy.Sampling(1.0, 2, 1.0), q);
    }

    @Test
    void should_keep_only_the_nucleus_of_top_p() {
        // Ascending cumulative probabilities: .01 .02 .05 .10 .20 | .35 .60 1.0. With top_p 0.7 HF
        // removes every token whose cumulative probability is <= 0.3, leaving 0.15, 0.25 and 0.4.
        double[] q = new double[P.length];
        q[0] = 0.4 / 0.8;
        q[1] = 0.25 / 0.8;
        q[2] = 0.15 / 0.8;
        assertFrequencies(new DecodingStrategy.Sampling(1.0, 0, 0.7), q);
    }

    /** Draws one token DRAWS times (as many returned sequences) and compares the frequencies. */
    private static void assertFrequencies(DecodingStrategy.Sampling strategy, double[] expected) {
        ToyDecoder.Logits logits = history -> {
            float[] out = new float[P.length];
            for (int i = 0; i < P.length; i++) {
                out[i] = (float) Math.log(P[i]);
            }
            return out;
        };
        GenerationConfig config = GenerationConfig.builder()
                .strategy(strategy).maxNewTokens(1).numReturnSequences(DRAWS).seed(12345).build();
        GenerationResult result = BeamSearchTest.generate(new ToyDecoder(P.length, 8, logits),
                List.of(DecoderInput.ofTokens(0)), config);
        int[] counts = new int[P.length];
        for (GeneratedSequence s : result.row(0).sequences()) {
            counts[s.tokenIds()[0]]++;
        }
        for (int v = 0; v < P.length; v++) {
            double freq = counts[v] / (double) DRAWS;
            double sigma = Math.sqrt(expected[v] * (1 - expected[v]) / DRAWS);
            String msg = "token " + v + ": frequency " + freq + ", expected " + expected[v] + ", counts "
                    + Arrays.toString(counts);
            if (expected[v] == 0) {
                assertEquals(0, counts[v], msg);
            } else {
                assertEquals(expected[v], freq, 5 * sigma, msg);
            }
        }
    }

    @Test
    void should_equal_greedy_when_top_k_is_one_or_top_p_tiny_or_temperature_tiny() {
        Seeds.forEach("degenerate sampling vs greedy", 30, random -> {
            int vocab = 5 + random.nextInt(4);
            ToyDecoder.Logits logits = ToyDecoder.randomLogits(vocab, random.nextLong(), 2.0);
            List<DecoderInput> prompts = List.of(BeamSearchTest.randomPrompt(random, vocab));
            GenerationConfig greedy = GenerationConfig.builder()
                    .maxNewTokens(1 + random.nextInt(12)).eosTokenIds(List.of(random.nextInt(vocab)))
                    .repetitionPenalty(random.nextBoolean() ? 1.0 : 1.2).build();
            int[] want = BeamSearchTest.generate(new ToyDecoder(vocab, 64, logits), prompts, greedy)
                    .row(0).best().tokenIds();
            for (DecodingStrategy.Sampling s : List.of(
                    new DecodingStrategy.Sampling(1.0, 1, 1.0),
                    new DecodingStrategy.Sampling(1.5, 0, 1e-9),
                    new DecodingStrategy.Sampling(1e-6, 0, 1.0))) {
                GenerationConfig config = greedy.toBuilder().strategy(s).seed(random.nextLong()).build();
                int[] got = BeamSearchTest.generate(new ToyDecoder(vocab, 64, logits), prompts, config)
                        .row(0).best().tokenIds();
                assertArrayEquals(want, got, s.toString());
            }
        });
    }

    @Test
    void should_return_sequences_best_first_with_their_log_probabilities() {
        Seeds.forEach("sampling scores", 20, random -> {
            int vocab = 5 + random.nextInt(4);
            ToyDecoder decoder = ToyDecoder.random(vocab, 64, random.nextLong(), 1.5);
            double temperature = 0.5 + random.nextDouble();
            DecoderInput prompt = BeamSearchTest.randomPrompt(random, vocab);
            GenerationConfig config = GenerationConfig.builder()
                    .strategy(DecodingStrategy.Sampling.of(temperature))
                    .maxNewTokens(1 + random.nextInt(8)).numReturnSequences(4).seed(random.nextLong()).build();
            List<GeneratedSequence> got = BeamSearchTest.generate(decoder, List.of(prompt), config).row(0).sequences();
            assertEquals(4, got.size());
            int[] history = ToyDecoder.historyOf(prompt);
            for (int i = 0; i < got.size(); i++) {
                int[] ids = got.get(i).tokenIds();
                double score = 0;
                for (int t = 0; t < ids.length; t++) {
                    float[] l = decoder.logitsOf(BruteForce.concat(history, Arrays.copyOf(ids, t)));
                    double max = Double.NEGATIVE_INFINITY;
                    for (float x : l) {
                        max = Math.max(max, x / temperature);
                    }
                    double sum = 0;
                    for (float x : l) {
                        sum += Math.exp(x / temperature - max);
                    }
                    score += l[ids[t]] / temperature - max - Math.log(sum);
                }
                assertEquals(score, got.get(i).score(), 1e-9, "sequence " + i);
                if (i > 0) {
                    assertTrue(got.get(i - 1).score() >= got.get(i).score(), "not best first");
                }
            }
        });
    }

    @Test
    void should_sample_each_row_as_if_alone_when_batched() {
        Seeds.forEach("sampling batch vs alone", 20, random -> {
            int vocab = 5 + random.nextInt(4);
            ToyDecoder.Logits logits = ToyDecoder.randomLogits(vocab, random.nextLong(), 1.0);
            GenerationConfig config = GenerationConfig.builder()
                    .strategy(DecodingStrategy.Sampling.of(1.0)).maxNewTokens(1 + random.nextInt(8))
                    .numReturnSequences(1 + random.nextInt(3)).eosTokenIds(List.of(random.nextInt(vocab)))
                    .seed(random.nextLong()).build();
            List<DecoderInput> prompts = IntStream.range(0, 2 + random.nextInt(3))
                    .mapToObj(i -> BeamSearchTest.randomPrompt(random, vocab)).toList();
            GenerationResult batch = BeamSearchTest.generate(new ToyDecoder(vocab, 64, logits), prompts, config);
            for (int r = 0; r < prompts.size(); r++) {
                assertEquals(BeamSearchTest.generate(new ToyDecoder(vocab, 64, logits), List.of(prompts.get(r)), config)
                        .row(0), batch.row(r), "row " + r);
            }
        });
    }

    @Test
    void should_draw_different_samples_for_each_returned_sequence() {
        ToyDecoder.Logits logits = ToyDecoder.randomLogits(8, 5, 0.3);
        GenerationConfig config = GenerationConfig.builder()
                .strategy(DecodingStrategy.Sampling.of(1.0)).maxNewTokens(8).numReturnSequences(2).seed(3).build();
        List<GeneratedSequence> got = BeamSearchTest.generate(new ToyDecoder(8, 64, logits),
                List.of(DecoderInput.ofTokens(1)), config).row(0).sequences();
        assertNotEquals(Arrays.toString(got.get(0).tokenIds()), Arrays.toString(got.get(1).tokenIds()));
    }

    @Test
    void should_emit_the_best_text_once_when_several_sequences_are_sampled() {
        ToyDecoder.Logits logits = ToyDecoder.randomLogits(8, 11, 0.3);
        GenerationConfig config = GenerationConfig.builder()
                .strategy(DecodingStrategy.Sampling.of(1.0)).maxNewTokens(6).numReturnSequences(3)
                .eosTokenIds(List.of()).seed(8).build();
        List<String> pieces = new java.util.ArrayList<>();
        GenerationResult result = Generator.generate(new ToyDecoder(8, 64, logits), List.of(DecoderInput.ofTokens(1)),
                config, SpecialTokens.of(0), new ToyDetokenizer(Set.of()), List.of(pieces::add));
        assertEquals(List.of(result.row(0).best().text()), pieces);
    }
}
