package org.vlalign.cli.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;

class GenerationParamsTest {

    @Test
    void should_decode_greedily_by_default() {
        GenerationConfig c = GenerationParams.from(Map.of());
        assertEquals(new DecodingStrategy.Greedy(), c.strategy());
        assertEquals(GenerationParams.DEFAULT_NEW_TOKENS, c.maxNewTokens());
    }

    @Test
    void should_search_beams_when_temperature_is_zero() {
        GenerationConfig c = GenerationParams.from(Map.of("beams", "4", "temperature", "0", "maxNewTokens", "9"));
        assertEquals(DecodingStrategy.Beam.of(4), c.strategy());
        assertEquals(9, c.maxNewTokens());
    }

    @Test
    void should_sample_when_temperature_is_positive() {
        GenerationConfig c = GenerationParams.from(Map.of("beams", "1", "temperature", "0.7", "topP", "0.9"));
        assertEquals(new DecodingStrategy.Sampling(0.7, 0, 0.9), c.strategy());
    }

    @Test
    void should_ask_for_an_attention_map_only_when_the_page_says_so_and_not_with_beams() {
        assertFalse(GenerationParams.from(Map.of()).attentionMap());
        assertFalse(GenerationParams.from(Map.of("attentionMap", "0")).attentionMap());
        assertTrue(GenerationParams.from(Map.of("attentionMap", "1")).attentionMap());
        assertTrue(GenerationParams.from(Map.of("attentionMap", "true", "temperature", "0.5")).attentionMap());
        HttpError beams = assertThrows(HttpError.class,
                () -> GenerationParams.from(Map.of("attentionMap", "1", "beams", "2")));
        assertEquals(400, beams.status());
        assertEquals(400, assertThrows(HttpError.class,
                () -> GenerationParams.from(Map.of("attentionMap", "yes"))).status());
    }

    @Test
    void should_refuse_values_out_of_range_with_400() {
        for (Map<String, String> bad : List.of(
            Map.of("beams", "0"), Map.of("beams", "9"), Map.of("beams", "two"), Map.of("temperature", "-1"),
            Map.of("temperature", "2.5"), Map.of("temperature", "Infinity"), Map.of("topP", "0"),
            Map.of("topP", "1.5"), Map.of("maxNewTokens", "0"), Map.of("maxNewTokens", "513"),
            Map.of("beams", "2", "temperature", "0.5"))) {
            HttpError e = assertThrows(HttpError.class, () -> GenerationParams.from(bad), bad.toString());
            assertEquals(400, e.status());
            String field = bad.keySet().iterator().next();
            assertTrue(e.getMessage().contains(field) || e.getMessage().contains("beams"), e.getMessage());
        }
    }
}
