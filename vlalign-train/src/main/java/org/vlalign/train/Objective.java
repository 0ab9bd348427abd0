package org.vlalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.train.spi.TrainingObjective;

/**
 * A built-in training objective ({@link AdaptorObjective}, {@link ContrastiveObjective},
 * {@link LanguageModelObjective}): what a {@link TrainingLoop} optimises, seen from the application. Its
 * engine side (the parameters and the differentiable loss) stays inside this module; a new kind of objective
 * implements {@link TrainingObjective} instead.
 *
 * <p>Objectives are used from the loop's thread only; they are not thread-safe.
 *
 * @param <T> the training item, e.g. a {@code TrainingExample} or a text
 * @since 0.2.0
 */
public abstract class Objective<T> implements AutoCloseable {

    Objective() {}

    /**
     * A short stable name, stored in checkpoints so that a run cannot resume into another objective.
     *
     * @return the name, e.g. {@code "causal-lm"}
     */
    public abstract String name();

    /**
     * An example's weight in a step's mean loss: its number of predicted tokens for token-level losses,
     * 1 for per-example losses.
     *
     * @param example the example
     * @return the weight, positive
     */
    public abstract double weight(T example);

    /** See {@link TrainingObjective#parameters()}. */
    abstract NamedParameters parameters();

    /** See {@link TrainingObjective#loss(NDManager, List)}. */
    abstract NDArray loss(NDManager scope, List<T> examples);

    /** Releases what the objective owns (by default nothing). */
    @Override
    public void close() {}

    /** The engine side, for the loop. */
    final TrainingObjective<T> engineSide() {
        Objective<T> self = this;
        return new TrainingObjective<>() {
            @Override
            public String name() {
                return self.name();
            }

            @Override
            public NamedParameters parameters() {
                return self.parameters();
            }

            @Override
            public double weight(T example) {
                return self.weight(example);
            }

            @Override
            public NDArray loss(NDManager scope, List<T> examples) {
                return self.loss(scope, examples);
            }

            @Override
            public void close() {
                self.close();
            }
        };
    }
}
