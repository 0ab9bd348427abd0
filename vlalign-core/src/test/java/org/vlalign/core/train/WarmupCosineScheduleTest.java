package org.vlalign.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class WarmupCosineScheduleTest {

    @Test
    void should_rise_linearly_from_start_to_peak_during_warmup() {
        WarmupCosineSchedule s = new WarmupCosineSchedule(1e-6, 1e-4, 100, 300, 8e-5);
        assertEquals(1e-6, s.learningRate(0), 1e-15);
        assertEquals(1e-6 + (1e-4 - 1e-6) * 0.5, s.learningRate(50), 1e-15);
        assertEquals(1e-6 + (1e-4 - 1e-6) * 0.99, s.learningRate(99), 1e-15);
        for (int i = 1; i < 100; i++) {
            assertTrue(s.learningRate(i) > s.learningRate(i - 1), "step " + i);
        }
    }

    @Test
    void should_anneal_by_cosine_to_the_final_rate_and_stay_there() {
        WarmupCosineSchedule s = new WarmupCosineSchedule(1e-6, 1e-4, 100, 300, 8e-5);
        assertEquals(1e-4, s.learningRate(100), 1e-15);
        assertEquals(9e-5, s.learningRate(200), 1e-15); // half-way: cos(π/2) = 0
        assertEquals(8e-5 + 2e-5 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), s.learningRate(150), 1e-15);
        assertEquals(8e-5, s.learningRate(300), 1e-15);
        assertEquals(8e-5, s.learningRate(10_000), 1e-15);
        for (int i = 101; i <= 300; i++) {
            assertTrue(s.learningRate(i) <= s.learningRate(i - 1), "step " + i);
        }
    }

    @Test
    void should_give_the_reference_stages() {
        WarmupCosineSchedule align = WarmupCosineSchedule.alignment(10, 30);
        assertEquals(1e-6, align.learningRate(0), 1e-15);
        assertEquals(1e-4, align.learningRate(10), 1e-15);
        assertEquals(8e-5, align.learningRate(30), 1e-15);
        WarmupCosineSchedule tune = WarmupCosineSchedule.instruction(10, 30);
        assertEquals(3e-5, tune.learningRate(10), 1e-15);
        assertEquals(1e-5, tune.learningRate(30), 1e-15);
    }

    @Test
    void should_jump_to_the_final_rate_when_there_is_no_annealing_span() {
        WarmupCosineSchedule s = new WarmupCosineSchedule(0.1, 0.5, 0, 0, 0.2);
        assertEquals(0.2, s.learningRate(0), 1e-15);
    }

    @Test
    void should_reject_invalid_settings() {
        assertThrows(InvalidArgumentException.class, () -> new WarmupCosineSchedule(-1, 1, 1, 2, 1));
        assertThrows(InvalidArgumentException.class, () -> new WarmupCosineSchedule(1, 1, 5, 2, 1));
        assertThrows(InvalidArgumentException.class, () -> new WarmupCosineSchedule(1, Double.NaN, 1, 2, 1));
        assertThrows(InvalidArgumentException.class, () -> new WarmupCosineSchedule(1, 1, 1, 2, 1).learningRate(-1));
    }
}
