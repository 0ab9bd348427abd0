package org.vlalign.core.train;

import java.util.ArrayList;
import java.util.List;
import org.vlalign.InvalidArgumentException;

/**
 * Epochs over a dataset: epoch {@code e} visits the examples in the order {@link
 * SeededShuffle#permutation(int, long)} gives for {@link SeededShuffle#epochSeed}{@code (seed, e)} (or
 * in list order when not shuffled), {@code stepSize} examples per optimiser step, the last step of an
 * epoch taking what is left. {@link #seek} jumps straight to any step: epoch {@code step / stepsPerEpoch},
 * position {@code (step mod stepsPerEpoch) × stepSize}.
 *
 * <p>Not thread-safe (a cursor); the example list is copied.
 *
 * <pre>{@code
 * DataOrder<TrainingExample> order = EpochOrder.of(examples, 32, 3, 42L, true);
 * while (order.hasNext()) {
 *     DataOrder.Batch<TrainingExample> batch = order.next();
 * }
 * }</pre>
 *
 * @param <T> the training item
 * @since 0.2.0
 */
public final class EpochOrder<T> implements DataOrder<T> {

    private final List<T> data;
    private final int stepSize;
    private final int epochs;
    private final long seed;
    private final boolean shuffle;
    private final long perEpoch;
    private int epoch;
    private int position;
    private int[] order; // the current epoch's permutation, or null until needed
    private int orderEpoch = -1;

    private EpochOrder(List<T> data, int stepSize, int epochs, long seed, boolean shuffle) {
        this.data = data;
        this.stepSize = stepSize;
        this.epochs = epochs;
        this.seed = seed;
        this.shuffle = shuffle;
        this.perEpoch = (data.size() + stepSize - 1) / stepSize;
    }

    /**
     * Creates the order at step 0.
     *
     * @param data the examples, at least one
     * @param stepSize examples per optimiser step, at least 1
     * @param epochs passes over the data, at least 1
     * @param seed the run seed
     * @param shuffle whether each epoch is shuffled (else list order)
     * @param <T> the training item
     * @return the order
     * @throws InvalidArgumentException if the data is empty or a size is not positive
     */
    public static <T> EpochOrder<T> of(List<T> data, int stepSize, int epochs, long seed, boolean shuffle) {
        if (data == null || data.isEmpty()) {
            throw new InvalidArgumentException("training needs at least one example");
        }
        if (stepSize < 1 || epochs < 1) {
            throw new InvalidArgumentException("stepSize and epochs must be >= 1 but were " + stepSize + " and "
                    + epochs);
        }
        return new EpochOrder<>(List.copyOf(data), stepSize, epochs, seed, shuffle);
    }

    @Override
    public Plan plan() {
        return new Plan(perEpoch * epochs, perEpoch, stepSize, data.size(), seed);
    }

    @Override
    public Position position() {
        return new Position(epoch * perEpoch + position / stepSize, epoch, position);
    }

    @Override
    public Batch<T> next() {
        if (!hasNext()) {
            throw new IllegalStateException("all " + plan().totalSteps() + " steps of this order were taken");
        }
        int[] p = permutation();
        int end = Math.min(data.size(), position + stepSize);
        List<T> batch = new ArrayList<>(end - position);
        for (int i = position; i < end; i++) {
            batch.add(data.get(p[i]));
        }
        Batch<T> out = new Batch<>(batch, epoch, end);
        if (end == data.size()) { // a finished epoch continues as (next epoch, position 0)
            epoch++;
            position = 0;
        } else {
            position = end;
        }
        return out;
    }

    @Override
    public void seek(long step) {
        if (step < 0 || step > perEpoch * epochs) {
            throw new InvalidArgumentException("step " + step + " is outside this run of " + perEpoch * epochs
                    + " steps");
        }
        epoch = (int) (step / perEpoch);
        position = (int) (step % perEpoch) * stepSize;
    }

    private int[] permutation() {
        if (orderEpoch != epoch) {
            if (shuffle) {
                order = SeededShuffle.permutation(data.size(), SeededShuffle.epochSeed(seed, epoch));
            } else {
                order = new int[data.size()];
                for (int i = 0; i < order.length; i++) {
                    order[i] = i;
                }
            }
            orderEpoch = epoch;
        }
        return order;
    }

    @Override
    public String toString() {
        return "EpochOrder[" + data.size() + " examples, " + stepSize + " per step, " + epochs + " epochs, seed "
                + seed + (shuffle ? "" : ", unshuffled") + "]";
    }
}
