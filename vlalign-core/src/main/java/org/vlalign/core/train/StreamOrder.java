package org.vlalign.core.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.vlalign.InvalidArgumentException;

/**
 * A fixed number of steps of exactly {@code batchSize} examples, drawn from one seeded {@link Random}
 * stream: a permutation of the data first ({@link SeededShuffle#permutation(int, Random)}), then, per
 * example in batch order, whatever the {@code draw} function takes from the same stream (e.g. which of an
 * image's captions to use); when fewer than a batch remain in the permutation, a new one is drawn (the
 * rest of the old one is dropped) and a new epoch begins. This is the order of the recipe's pre-training
 * stages, draw for draw.
 *
 * <p>{@link #seek} replays the stream from the seed (only the cheap draws, no training), so a resumed run
 * sees exactly the batches an uninterrupted one would.
 *
 * <p>Not thread-safe (a cursor); the data list is copied.
 *
 * <pre>{@code
 * DataOrder<String> texts = StreamOrder.of(corpus, 32, 6000, 7L, (text, random) -> text);
 * }</pre>
 *
 * @param <E> the dataset element
 * @param <T> the training item made from an element and the stream
 * @since 0.2.0
 */
public final class StreamOrder<E, T> implements DataOrder<T> {

    private final List<E> data;
    private final int batchSize;
    private final long steps;
    private final long seed;
    private final BiFunction<E, Random, T> draw;
    private Random random;
    private int[] order;
    private int position;
    private int epoch;
    private long step;

    private StreamOrder(List<E> data, int batchSize, long steps, long seed, BiFunction<E, Random, T> draw) {
        this.data = data;
        this.batchSize = batchSize;
        this.steps = steps;
        this.seed = seed;
        this.draw = draw;
        restart();
    }

    /**
     * Creates the order at step 0.
     *
     * @param data the dataset, at least {@code batchSize} elements
     * @param batchSize examples per step, at least 1
     * @param steps the planned optimiser steps, at least 1
     * @param seed the stream's seed
     * @param draw makes the training item of an element, drawing from the stream if it needs to
     * @param <E> the dataset element
     * @param <T> the training item
     * @return the order
     * @throws InvalidArgumentException if there are fewer elements than one batch or a size is not positive
     */
    public static <E, T> StreamOrder<E, T> of(List<E> data, int batchSize, long steps, long seed,
            BiFunction<E, Random, T> draw) {
        if (batchSize < 1 || steps < 1) {
            throw new InvalidArgumentException("batchSize and steps must be >= 1 but were " + batchSize + " and "
                    + steps);
        }
        if (data == null || data.size() < batchSize) {
            throw new InvalidArgumentException("training needs at least batchSize=" + batchSize
                    + " examples but got " + (data == null ? 0 : data.size())
                    + "; add data or lower the batch size");
        }
        if (draw == null) {
            throw new InvalidArgumentException("draw must not be null; pass (element, random) -> element");
        }
        return new StreamOrder<>(List.copyOf(data), batchSize, steps, seed, draw);
    }

    private void restart() {
        random = new Random(seed);
        order = SeededShuffle.permutation(data.size(), random);
        position = 0;
        epoch = 0;
        step = 0;
    }

    @Override
    public Plan plan() {
        return new Plan(steps, data.size() / batchSize, batchSize, data.size(), seed);
    }

    @Override
    public Position position() {
        return new Position(step, epoch, position);
    }

    @Override
    public Batch<T> next() {
        if (!hasNext()) {
            throw new IllegalStateException("all " + steps + " steps of this order were taken");
        }
        if (position + batchSize > order.length) {
            order = SeededShuffle.permutation(data.size(), random);
            position = 0;
            epoch++;
        }
        List<T> batch = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            batch.add(draw.apply(data.get(order[position++]), random));
        }
        step++;
        return new Batch<>(batch, epoch, position);
    }

    @Override
    public void seek(long target) {
        if (target < 0 || target > steps) {
            throw new InvalidArgumentException("step " + target + " is outside this run of " + steps + " steps");
        }
        restart();
        while (step < target) {
            next();
        }
    }

    @Override
    public String toString() {
        return "StreamOrder[" + data.size() + " examples, " + batchSize + " per step, " + steps + " steps, seed "
                + seed + "]";
    }
}
