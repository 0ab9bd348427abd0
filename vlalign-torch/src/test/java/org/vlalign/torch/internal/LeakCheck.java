package org.vlalign.torch.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;

/**
 * The leak check of the torch tests: the live arrays of a model's manager stay flat over many calls (per-call
 * sub-managers make {@code cap()} unusable, so the count is what is watched).
 */
public final class LeakCheck {

    private LeakCheck() {}

    /**
     * Runs rounds of calls and asserts after each that the manager holds as many arrays as before the first.
     *
     * @param manager the model's weight manager
     * @param rounds how many rounds
     * @param round one round of calls, given its index
     */
    public static void assertFlat(NDManager manager, int rounds, IntConsumer round) {
        assertFlat(() -> manager.getManagedArrays().size(), rounds, round);
    }

    /**
     * Runs rounds of calls and asserts after each that as many arrays are alive as before the first.
     *
     * @param alive counts the live arrays
     * @param rounds how many rounds
     * @param round one round of calls, given its index
     */
    public static void assertFlat(IntSupplier alive, int rounds, IntConsumer round) {
        int before = alive.getAsInt();
        for (int i = 0; i < rounds; i++) {
            round.accept(i);
            assertEquals(before, alive.getAsInt(), "arrays alive in the model manager after round " + i);
        }
    }

    /**
     * The arrays alive in a BLIP extractor's model manager, sub-managers included (closed call managers are gone).
     *
     * @param extractor the extractor
     * @return the count
     */
    public static int arraysAlive(BlipFeatureExtractor extractor) {
        try (NDManager call = extractor.newCallManager()) {
            return call.getParentManager().getManagedArrays().size();
        }
    }
}
