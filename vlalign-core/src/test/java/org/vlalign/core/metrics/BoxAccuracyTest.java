package org.vlalign.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class BoxAccuracyTest {

    @Test
    void should_count_hits_at_half_iou_and_unparseable_answers_as_zero() {
        BoundingBox truth = new BoundingBox(0, 0, 0.5, 0.5);
        BoxAccuracy s = BoxAccuracy.score(List.of(truth, truth, truth, truth), List.of(
                Optional.of(truth), // IoU 1
                Optional.of(new BoundingBox(0.25, 0, 0.75, 0.5)), // IoU 1/3: a miss
                Optional.of(new BoundingBox(0, 0, 0.5, 0.25)), // IoU 1/2: a hit, at the boundary
                Optional.empty())); // unparseable: IoU 0
        assertEquals(4, s.items());
        assertEquals(1, s.unparseable());
        assertEquals(0.5, s.accuracy(), 1e-12);
        assertEquals((1 + 1.0 / 3 + 0.5 + 0) / 4, s.meanIou(), 1e-12);
    }

    @Test
    void should_be_nan_without_items_and_refuse_mismatched_sizes() {
        BoxAccuracy empty = BoxAccuracy.score(List.of(), List.of());
        assertTrue(Double.isNaN(empty.accuracy()) && Double.isNaN(empty.meanIou()));
        assertThrows(InvalidArgumentException.class,
                () -> BoxAccuracy.score(List.of(new BoundingBox(0, 0, 1, 1)), List.of()));
    }
}
