package org.vlalign.core.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.DecodingStrategy;
import org.vlalign.FinishReason;
import org.vlalign.GenerationConfig;
import org.vlalign.spi.DecoderInput;

/** Stop strings and streaming, with {@link ToyDetokenizer} (0 "a", 1 "b", 2 eos, 3+4 "€", 5 " ", 6 "é", 7 "ba"). */
class StreamingTest {
    private static final int EOS = 2;
    private static final ToyDetokenizer DETOKENIZER = new ToyDetokenizer();

    /** A decoder that emits {@code script} after a one-token prompt, then eos. */
    private static ToyDecoder scripted(int... script) {
        return new ToyDecoder(8, 64, history -> {
            int i = history.length - 1;
            float[] out = new float[8];
            out[i < script.length ? script[i] : EOS] = 5;
            return out;
        });
    }

    private static GeneratedSequence run(ToyDecoder decoder, GenerationConfig config, List<String> pieces) {
        return Generator.generate(decoder, List.of(DecoderInput.ofTokens(5)), config, SpecialTokens.of(0, EOS),
                DETOKENIZER, List.of(pieces::add)).row(0).best();
    }

    @Test
    void should_emit_a_multibyte_character_only_when_complete() {
        List<String> pieces = new ArrayList<>();
        GeneratedSequence s = run(scripted(0, 3, 4, 1, 3, 4), GenerationConfig.DEFAULT, pieces);
        assertEquals("a€b€", s.text());
        assertEquals(List.of("a", "€", "b", "€"), pieces);
        assertEquals(FinishReason.EOS, s.finishReason());
        assertArrayEquals(new int[] {0, 3, 4, 1, 3, 4}, s.tokenIds());
    }

    @Test
    void should_flush_an_incomplete_character_at_the_end() {
        List<String> pieces = new ArrayList<>();
        GeneratedSequence s = run(scripted(0, 3), GenerationConfig.DEFAULT, pieces);
        assertEquals("a\uFFFD", s.text(), "the final text keeps what the detokenizer made of it");
        assertEquals(s.text(), String.join("", pieces));
    }

    @Test
    void should_stop_at_a_stop_string_spanning_two_tokens() {
        List<String> pieces = new ArrayList<>();
        GenerationConfig config = GenerationConfig.builder().stopStrings(List.of("b ")).build();
        GeneratedSequence s = run(scripted(0, 1, 5, 0, 0), config, pieces);
        assertEquals(FinishReason.STOP_STRING, s.finishReason());
        assertArrayEquals(new int[] {0, 1, 5}, s.tokenIds(), "the tokens that completed the stop string stay");
        assertEquals("a", s.text());
        assertEquals(List.of("a"), pieces, "the 'b' was held back as a possible start of 'b '");
    }

    @Test
    void should_stop_inside_a_token_and_at_the_earliest_stop_string() {
        List<String> pieces = new ArrayList<>();
        GenerationConfig config = GenerationConfig.builder().stopStrings(List.of("aa", "baa")).build();
        // "é", then "ba" (held back: it may start "baa"), then "a": "ébaa" holds "baa" at 1 and "aa"
        // at 2; the earlier one cuts.
        GeneratedSequence s = run(scripted(6, 7, 0, 1), config, pieces);
        assertEquals("é", s.text());
        assertEquals(FinishReason.STOP_STRING, s.finishReason());
        assertArrayEquals(new int[] {6, 7, 0}, s.tokenIds());
        assertEquals(List.of("é"), pieces);
    }

    @Test
    void should_release_held_back_text_when_it_does_not_become_a_stop_string() {
        List<String> pieces = new ArrayList<>();
        GenerationConfig config = GenerationConfig.builder().stopStrings(List.of("bab")).maxNewTokens(4).build();
        GeneratedSequence s = run(scripted(1, 0, 0, 5), config, pieces);
        assertEquals("baa ", s.text());
        assertEquals(FinishReason.MAX_TOKENS, s.finishReason());
        assertEquals(List.of("baa", " "), pieces);
    }

    @Test
    void should_stream_pieces_that_add_up_to_the_text() {
        String[] alphabet = {"a", "b", " ", "€", "é", "ba"};
        Seeds.forEach("streaming", 200, random -> {
            ToyDecoder.Logits logits = ToyDecoder.randomLogits(8, random.nextLong(), 0.7);
            List<String> stops = new ArrayList<>();
            for (int i = random.nextInt(3); i > 0; i--) {
                StringBuilder sb = new StringBuilder();
                for (int j = 1 + random.nextInt(3); j > 0; j--) {
                    sb.append(alphabet[random.nextInt(alphabet.length)]);
                }
                stops.add(sb.toString());
            }
            GenerationConfig config = GenerationConfig.builder()
                    .strategy(random.nextBoolean() ? new DecodingStrategy.Greedy() : DecodingStrategy.Sampling.of(1.0))
                    .maxNewTokens(1 + random.nextInt(20)).stopStrings(stops).seed(random.nextLong()).build();
            List<String> pieces = new ArrayList<>();
            GeneratedSequence s = run(new ToyDecoder(8, 64, logits), config, pieces);
            String where = "stops " + stops + " -> " + s + " pieces " + pieces;
            assertEquals(s.text(), String.join("", pieces), where);
            for (String piece : pieces) {
                assertFalse(piece.isEmpty(), where);
            }
            int[] ids = s.tokenIds();
            String full = DETOKENIZER.decode(ids);
            String before = DETOKENIZER.decode(Arrays.copyOf(ids, Math.max(0, ids.length - 1)));
            if (s.finishReason() == FinishReason.STOP_STRING) {
                assertTrue(stops.stream().anyMatch(stop -> full.startsWith(stop, s.text().length())), where);
                assertTrue(stops.stream().noneMatch(before::contains), "should have stopped earlier: " + where);
            } else {
                assertEquals(full, s.text(), where);
            }
            assertTrue(stops.stream().noneMatch(s.text()::contains), where);
        });
    }

    @Test
    void should_not_decode_per_token_without_listener_or_stop_strings() {
        int[] calls = new int[1];
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(10).eosTokenIds(List.of()).build();
        Generator.generate(scripted(0, 1, 0, 1), List.of(DecoderInput.ofTokens(5)), config, SpecialTokens.of(0),
                ids -> {
                    calls[0]++;
                    return DETOKENIZER.decode(ids);
                }, null);
        assertEquals(1, calls[0], "only the final text is decoded");
    }
}
