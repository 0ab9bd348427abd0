package org.vlalign.train.spi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.vlalign.torch.internal.NamedParameters;

/**
 * What a {@link org.vlalign.train.TrainingLoop} optimises, the engine side of an objective: the parameters that may learn, and the loss of a micro-batch.
 *
 * <p>The loop owns everything else: the data order, gradient accumulation and clipping, the learning
 * rate, the optimiser step, native scopes, checkpoints and progress. An optimiser step's loss is the
 * weighted mean {@code Σ loss(micro) / Σ weight(example)} over the step's micro-batches, so accumulating
 * micro-batches gives the gradient of one large batch whenever {@link #loss} is a sum over examples.
 *
 * <p>Parameters may come from a checkpoint (a model's {@code parameters()}, possibly a subset) or be
 * the objective's own (an adapter it adds, under keys of its choosing): the loop enables their
 * gradients, updates them in place, and saves and restores them by key in its checkpoints.
 *
 * <p>This is the service-provider side of vlalign-train: it speaks DJL ({@code NDManager}, {@code NDArray}), so
 * it lives outside the public package. A new objective implements it and is passed to {@link
 * org.vlalign.train.TrainingLoop#create(TrainingObjective, org.vlalign.train.TrainingConfig)}; the built-in ones
 * are {@link org.vlalign.train.Objective}s.
 *
 * <p>Implementations are used from the loop's thread only; they need not be thread-safe.
 *
 * @param <T> the training item, e.g. a {@code TrainingExample} or a text
 * @since 0.2.0
 */
public interface TrainingObjective<T> extends AutoCloseable {

    /**
     * A short stable name, stored in checkpoints so that a run cannot resume into another objective.
     *
     * @return the name, e.g. {@code "causal-lm"}
     */
    String name();

    /**
     * The parameters this objective can train, by key. The loop trains all of them or the subset its
     * {@link org.vlalign.train.TrainingConfig#trainable()} and {@link org.vlalign.train.TrainingConfig#frozen()}
     * patterns select; the same
     * arrays for the objective's whole life.
     *
     * @return the view
     */
    NamedParameters parameters();

    /**
     * An example's weight in a step's mean loss: its number of predicted tokens for token-level losses,
     * 1 for per-example losses.
     *
     * @param example the example
     * @return the weight, positive
     */
    double weight(T example);

    /**
     * The summed loss of a micro-batch, differentiable with respect to {@link #parameters()}.
     *
     * <p>Every array made here belongs to {@code scope}, which the loop closes after the backward pass.
     * Constants on a differentiable path must be arrays ({@code NdArrays.scalar}), not numbers: DJL
     * frees a number's temporary buffer before autograd reads it.
     *
     * @param scope owns the result and everything the backward pass needs
     * @param examples the micro-batch, at least one
     * @return a {@code ()} array: the sum over the micro-batch of each example's (weighted) loss
     */
    NDArray loss(NDManager scope, List<T> examples);

    /** Releases what the objective owns (by default nothing). */
    @Override
    default void close() {}
}
