package org.vlalign.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class EpochOrderTest {

    private static final List<Integer> DATA = IntStream.range(0, 10).boxed().toList();

    @Test
    void should_visit_each_epoch_in_its_seeded_permutation_with_a_short_last_step() {
        EpochOrder<Integer> order = EpochOrder.of(DATA, 4, 2, 99L, true);
        assertEquals(new DataOrder.Plan(6, 3, 4, 10, 99L), order.plan());
        for (int e = 0; e < 2; e++) {
            int[] p = SeededShuffle.permutation(10, SeededShuffle.epochSeed(99L, e));
            List<Integer> seen = new ArrayList<>();
            int[] sizes = {4, 4, 2};
            int[] positions = {4, 8, 10};
            for (int s = 0; s < 3; s++) {
                DataOrder.Batch<Integer> b = order.next();
                assertEquals(sizes[s], b.examples().size());
                assertEquals(e, b.epoch());
                assertEquals(positions[s], b.positionInEpoch());
                seen.addAll(b.examples());
            }
            for (int i = 0; i < 10; i++) {
                assertEquals(p[i], seen.get(i), "epoch " + e + " position " + i);
            }
        }
        assertFalse(order.hasNext());
        assertThrows(IllegalStateException.class, order::next);
    }

    @Test
    void should_reach_every_step_by_seeking_exactly_as_by_stepping() {
        long seed = new Random().nextLong();
        EpochOrder<Integer> walked = EpochOrder.of(DATA, 3, 3, seed, true);
        for (long step = 0; step <= walked.plan().totalSteps(); step++) {
            EpochOrder<Integer> jumped = EpochOrder.of(DATA, 3, 3, seed, true);
            jumped.seek(step);
            assertEquals(step, jumped.position().step(), "seed " + seed);
            assertEquals(walked.position(), jumped.position(), "seed " + seed + ", step " + step);
            if (walked.hasNext()) {
                assertEquals(walked.next(), jumped.next(), "seed " + seed + ", step " + step);
            }
        }
        assertThrows(InvalidArgumentException.class, () -> walked.seek(walked.plan().totalSteps() + 1));
    }

    @Test
    void should_keep_list_order_when_not_shuffled_and_reject_empty_data() {
        EpochOrder<Integer> order = EpochOrder.of(DATA, 10, 1, 5L, false);
        assertEquals(DATA, order.next().examples());
        assertEquals(new DataOrder.Position(1, 1, 0), order.position());
        assertThrows(InvalidArgumentException.class, () -> EpochOrder.of(List.of(), 1, 1, 0L, true));
        assertThrows(InvalidArgumentException.class, () -> EpochOrder.of(DATA, 0, 1, 0L, true));
    }
}
