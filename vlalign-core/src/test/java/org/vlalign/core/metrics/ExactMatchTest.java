package org.vlalign.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class ExactMatchTest {

    @Test
    void should_match_after_normalising_both_sides() {
        assertEquals(1.0, ExactMatch.score("Two.", List.of("2")));
        assertEquals(1.0, ExactMatch.score("a red car", List.of("blue car", "Red car!")));
        assertEquals(0.0, ExactMatch.score("three", List.of("2", "4")));
        assertEquals(0.0, ExactMatch.score("red car", List.of("red")));
    }

    @Test
    void should_average_over_questions() {
        assertEquals(
                2.0 / 3,
                ExactMatch.mean(List.of("yes", "no", "2"), List.of(List.of("yes"), List.of("yes"), List.of("two"))),
                1e-12);
    }

    @Test
    void should_refuse_mismatched_or_empty_inputs() {
        assertThrows(InvalidArgumentException.class, () -> ExactMatch.score("x", List.of()));
        assertThrows(InvalidArgumentException.class, () -> ExactMatch.mean(List.of("x"), List.of()));
    }
}
