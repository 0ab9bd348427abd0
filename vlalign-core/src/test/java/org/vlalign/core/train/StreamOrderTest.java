package org.vlalign.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class StreamOrderTest {

    /** Element i has i % 3 + 1 "captions"; the item is (element, chosen caption). */
    private static final List<Integer> DATA = IntStream.range(0, 11).boxed().toList();

    private static String pick(Integer element, Random random) {
        return element + ":" + random.nextInt(element % 3 + 1);
    }

    /** The recipe's pre-training loop as it was written before the loop was shared, draw for draw. */
    private static List<List<String>> reference(int batch, long steps, long seed) {
        Random random = new Random(seed);
        List<List<String>> out = new ArrayList<>();
        int[] order = SeededShuffle.permutation(DATA.size(), random);
        int position = 0;
        for (long s = 0; s < steps; s++) {
            if (position + batch > order.length) {
                order = SeededShuffle.permutation(DATA.size(), random);
                position = 0;
            }
            List<String> items = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                Integer e = DATA.get(order[position++]);
                items.add(e + ":" + random.nextInt(e % 3 + 1));
            }
            out.add(items);
        }
        return out;
    }

    @Test
    void should_draw_the_same_batches_as_the_pretraining_loops_did() {
        StreamOrder<Integer, String> order = StreamOrder.of(DATA, 4, 9, 7L, StreamOrderTest::pick);
        List<List<String>> expected = reference(4, 9, 7L);
        int[] epochs = {0, 0, 1, 1, 2, 2, 3, 3, 4}; // 11 / 4: two full batches per permutation
        for (int s = 0; s < 9; s++) {
            DataOrder.Batch<String> b = order.next();
            assertEquals(expected.get(s), b.examples(), "step " + s);
            assertEquals(epochs[s], b.epoch(), "step " + s);
            assertEquals(s % 2 == 0 ? 4 : 8, b.positionInEpoch());
        }
        assertEquals(new DataOrder.Plan(9, 2, 4, 11, 7L), order.plan());
        assertThrows(IllegalStateException.class, order::next);
    }

    @Test
    void should_replay_the_stream_to_any_step_when_seeking() {
        long seed = new Random().nextLong();
        StreamOrder<Integer, String> walked = StreamOrder.of(DATA, 5, 7, seed, StreamOrderTest::pick);
        for (long step = 0; step <= 7; step++) {
            StreamOrder<Integer, String> jumped = StreamOrder.of(DATA, 5, 7, seed, StreamOrderTest::pick);
            jumped.next(); // a cursor that has moved on must still land on the step
            jumped.seek(step);
            assertEquals(step, jumped.position().step());
            assertEquals(walked.position(), jumped.position(), "seed " + seed);
            if (walked.hasNext()) {
                assertEquals(walked.next(), jumped.next(), "seed " + seed + ", step " + step);
            }
        }
    }

    @Test
    void should_refuse_fewer_examples_than_one_batch() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> StreamOrder.of(DATA, 12, 1, 0L, (x, r) -> x));
        assertTrue(e.getMessage().contains("batchSize=12"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> StreamOrder.of(DATA, 2, 0, 0L, (x, r) -> x));
    }
}
