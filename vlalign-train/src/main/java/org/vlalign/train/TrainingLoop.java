package org.vlalign.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.CheckpointException;
import org.vlalign.Checks;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlalignException;
import org.vlalign.core.train.DataOrder;
import org.vlalign.core.train.EpochOrder;
import org.vlalign.core.train.LearningRateSchedule;
import org.vlalign.core.train.LossLog;
import org.vlalign.core.train.TrainingListener;
import org.vlalign.core.train.TrainingProgress;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.train.spi.TrainingObjective;

/**
 * The one training loop: it turns a {@link TrainingObjective} and a {@link DataOrder} into optimiser
 * steps, and owns everything around the loss.
 *
 * <p>Per step it takes the order's next examples, splits them into micro-batches of {@link
 * TrainingConfig#microBatchSize()}, and for each runs the objective's loss divided by the step's total
 * example weight, backward, in a scope of its own that closes right after (so gradients accumulate and
 * the step's loss is the weighted mean over all its examples). It then measures the global gradient norm,
 * clips it like {@code torch.nn.utils.clip_grad_norm_}, applies {@link AdamW} at the schedule's learning
 * rate, and clears the gradients. Only the selected parameters ({@link #trainable()}) require gradients,
 * so every other weight of the model stays bit-identical.
 *
 * <p>After each step it reports {@link TrainingProgress} (loss, learning rate, gradient norm, throughput
 * and ETA) to its listeners and the loss log, and writes a {@link TrainingCheckpoint} when due
 * ({@code checkpointEvery}, the end, or a stop for the step limit or the wall-time budget). {@link
 * #resume} restores the parameters, the optimiser and the data order's position from such a file and
 * continues exactly: the resumed run's losses and parameters equal an uninterrupted run's.
 *
 * <p>Memory: micro-batch and optimiser scratch live in sub-managers of a loop-owned manager, closed every
 * step; parameters stay in their model, moments in the optimiser; nothing grows over steps.
 *
 * <p>Not thread-safe: run one loop on one thread (DJL allows one gradient collector at a time per JVM).
 * {@link #close} releases the optimiser and the scratch, and turns the parameters' gradients off; the
 * objective stays the caller's.
 *
 * <pre>{@code
 * try (LanguageModelObjective lm = LanguageModelObjective.load(llamaDir);
 *         TrainingLoop<String> loop = TrainingLoop.create(lm, TrainingConfig.builder()
 *                 .microBatchSize(32).schedule(new WarmupCosineSchedule(0, 1e-3, 300, 3000, 1e-4)).build())) {
 *     TrainingResult r = loop.train(StreamOrder.of(corpus, 32, 3000, 7L, (text, random) -> text));
 *     lm.save(outDir);
 * }
 * }</pre>
 *
 * @param <T> the training item
 * @since 0.2.0
 */
public final class TrainingLoop<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);

    private final TrainingObjective<T> objective;
    private final TrainingConfig config;
    private final NamedParameters trainable;
    private final AdamW optimizer;
    private final NDManager manager;
    private final List<TrainingListener> listeners = new ArrayList<>();

    private TrainingLoop(TrainingObjective<T> objective, TrainingConfig config, NamedParameters trainable) {
        this.objective = objective;
        this.config = config;
        this.trainable = trainable;
        NDArray any = trainable.asMap().values().iterator().next();
        this.manager = NDManager.newBaseManager(any.getDevice(), "PyTorch");
        this.optimizer = new AdamW(trainable, config.adamW());
        for (NDArray p : trainable.asMap().values()) {
            p.setRequiresGradient(true); // only these learn
        }
    }

    /**
     * Creates a loop for a built-in objective.
     *
     * @param objective what to optimise; stays the caller's
     * @param config the settings
     * @param <T> the training item
     * @return the loop; close it
     * @throws InvalidArgumentException if the config's patterns select no parameter of the objective
     */
    public static <T> TrainingLoop<T> create(Objective<T> objective, TrainingConfig config) {
        return create(Checks.checkNotNull(objective, "objective").engineSide(), config);
    }

    /**
     * Creates a loop for an objective of the service-provider interface.
     *
     * @param objective what to optimise; stays the caller's
     * @param config the settings
     * @param <T> the training item
     * @return the loop; close it
     * @throws InvalidArgumentException if the config's patterns select no parameter of the objective
     */
    public static <T> TrainingLoop<T> create(TrainingObjective<T> objective, TrainingConfig config) {
        Checks.checkNotNull(objective, "objective");
        Checks.checkNotNull(config, "config");
        NamedParameters offered = objective.parameters();
        NamedParameters selected = config.trainable().isEmpty()
                ? offered
                : offered.select(config.trainable().toArray(String[]::new));
        selected = selected.exclude(config.frozen().toArray(String[]::new));
        if (selected.isEmpty()) {
            throw new InvalidArgumentException("nothing to train: the objective " + objective.name() + " offers "
                    + offered.size() + " parameters and the patterns trainable=" + config.trainable() + ", frozen="
                    + config.frozen() + " leave none");
        }
        return new TrainingLoop<>(objective, config, selected);
    }

    /**
     * Adds a progress listener.
     *
     * @param listener called after every step and checkpoint
     * @return this loop
     */
    public TrainingLoop<T> addListener(TrainingListener listener) {
        listeners.add(Checks.checkNotNull(listener, "listener"));
        return this;
    }

    /**
     * The parameters this loop trains.
     *
     * @return the selected view of the objective's parameters
     */
    public NamedParameters trainable() {
        return trainable;
    }

    /**
     * The optimiser (for inspection).
     *
     * @return the optimiser
     */
    public AdamW optimizer() {
        return optimizer;
    }

    /**
     * The config's epoch order over a list: {@code effectiveBatchSize()} examples per step, {@code epochs}
     * passes shuffled with {@code seed} (unless {@code shuffle} is off).
     *
     * @param examples the training set, at least one example
     * @return a new order at step 0
     */
    public EpochOrder<T> epochOrder(List<T> examples) {
        return EpochOrder.of(examples, config.effectiveBatchSize(), config.epochs(), config.seed(), config.shuffle());
    }

    /**
     * Trains from the start over a list in the config's {@link #epochOrder epoch order}.
     *
     * @param examples the training set, at least one example
     * @return the result
     */
    public TrainingResult train(List<T> examples) {
        return train(epochOrder(examples));
    }

    /**
     * Trains over the rest of a data order.
     *
     * @param order the order, at the step this loop's optimiser has reached (0 for a new loop)
     * @return the result
     * @throws InvalidArgumentException if the order and the optimiser are at different steps
     */
    public TrainingResult train(DataOrder<T> order) {
        if (order.position().step() != optimizer.step()) {
            throw new InvalidArgumentException("the data order is at step " + order.position().step()
                    + " but this loop has done "
                    + optimizer.step() + "; train a new order with a new loop, or resume from a checkpoint");
        }
        return run(order);
    }

    /**
     * Continues a run over a list from its checkpoint; see {@link #resume(Path, DataOrder)}.
     *
     * @param checkpoint a {@link TrainingCheckpoint#FILE_NAME} file
     * @param examples the training set of the original run, in the same order
     * @return the result of the remaining steps
     */
    public TrainingResult resume(Path checkpoint, List<T> examples) {
        return resume(checkpoint, epochOrder(examples));
    }

    /**
     * Continues a run from its checkpoint: restores the trained parameters, the optimiser and the data
     * order's position, then trains on. Pass the objective, config and order of the first run.
     *
     * @param checkpoint a {@link TrainingCheckpoint#FILE_NAME} file
     * @param order the original run's order (any position; it is moved to the checkpoint's step)
     * @return the result of the remaining steps
     * @throws CheckpointException if the checkpoint belongs to another objective, parameter set, seed,
     *     dataset or batch size
     */
    public TrainingResult resume(Path checkpoint, DataOrder<T> order) {
        TrainingCheckpoint c = TrainingCheckpoint.read(checkpoint);
        if (!c.objective().equals(objective.name()) || !sameShapes(c.shapes(), trainable.shapes())) {
            throw new CheckpointException("checkpoint " + checkpoint + " holds " + c.objective() + " parameters "
                    + describe(c.shapes()) + " but this loop trains " + objective.name() + " parameters "
                    + describe(trainable.shapes()) + "; resume with the same objective and trainable patterns");
        }
        DataOrder.Plan plan = order.plan();
        if (c.runSeed() != plan.seed() || c.examples() != plan.datasetSize() || c.step() > plan.totalSteps()) {
            throw new CheckpointException("checkpoint " + checkpoint + " was written at step " + c.step() + " of a run"
                    + " with seed " + c.runSeed() + " over " + c.examples() + " examples, but this order has seed "
                    + plan.seed() + ", " + plan.datasetSize() + " examples and " + plan.totalSteps()
                    + " steps; resume with the original config and dataset");
        }
        order.seek(c.step());
        DataOrder.Position at = order.position();
        if (at.epoch() != c.epoch() || at.positionInEpoch() != c.position()) {
            throw new CheckpointException("checkpoint " + checkpoint + " stopped at epoch " + c.epoch() + ", position "
                    + c.position() + " but step " + c.step() + " of this order is epoch " + at.epoch() + ", position "
                    + at.positionInEpoch() + "; resume with the original batch sizes");
        }
        try (NDManager scratch = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : trainable.asMap().entrySet()) {
                NdArrays.assign(e.getValue(), NdArrays.floats(scratch, c.parameters().get(e.getKey()),
                        c.shapes().get(e.getKey())));
            }
        }
        optimizer.restore(c.optimizer());
        LOG.info("resuming {} from {} at step {}, epoch {}, position {}", objective.name(), checkpoint, c.step(),
                c.epoch(), c.position());
        return run(order);
    }

    private TrainingResult run(DataOrder<T> order) {
        DataOrder.Plan plan = order.plan();
        long totalSteps = plan.totalSteps();
        LearningRateSchedule schedule = config.schedule().apply(plan.stepsPerEpoch(), totalSteps);
        List<TrainingListener> all = new ArrayList<>(listeners);
        LossLog log = config.lossLog() == null ? null : LossLog.open(config.lossLog());
        if (log != null) {
            all.add(log);
        }
        try {
            long start = System.nanoTime();
            long examplesDone = 0;
            long stepsThisRun = 0;
            List<Double> losses = new ArrayList<>();
            Optional<Path> lastCheckpoint = Optional.empty();
            while (order.hasNext()) {
                DataOrder.Batch<T> batch = order.next();
                double lr = schedule.learningRate(optimizer.step());
                double[] lossAndNorm = step(batch.examples(), lr);
                stepsThisRun++;
                examplesDone += batch.examples().size();
                losses.add(lossAndNorm[0]);
                double elapsed = (System.nanoTime() - start) / 1e9;
                double rate = examplesDone / Math.max(elapsed, 1e-9);
                long remaining = (totalSteps - optimizer.step()) * plan.stepSize();
                TrainingProgress progress = new TrainingProgress(optimizer.step(), totalSteps, batch.epoch(),
                        batch.positionInEpoch(), lossAndNorm[0], lr, lossAndNorm[1], batch.examples().size(), rate,
                        Duration.ofMillis((long) (remaining / rate * 1000)));
                for (TrainingListener l : all) {
                    l.onStep(progress);
                }
                boolean finished = !order.hasNext();
                TrainingResult.StopReason stop = null;
                if (!finished && config.stopAfterSteps() > 0 && optimizer.step() >= config.stopAfterSteps()) {
                    stop = TrainingResult.StopReason.STEP_LIMIT;
                } else if (!finished && config.wallTimeBudget() != null) {
                    double perStep = elapsed / stepsThisRun;
                    if (elapsed + 2 * perStep > config.wallTimeBudget().toNanos() / 1e9) {
                        stop = TrainingResult.StopReason.WALL_TIME_BUDGET;
                    }
                }
                boolean periodic = config.checkpointEvery() > 0 && optimizer.step() % config.checkpointEvery() == 0;
                if (config.checkpointDir() != null && (periodic || stop != null || finished)) {
                    lastCheckpoint = Optional.of(writeCheckpoint(plan, order.position(), all));
                }
                if (stop != null) {
                    LOG.info("stopping {} at step {} of {} ({})", objective.name(), optimizer.step(), totalSteps, stop);
                    return new TrainingResult(optimizer.step(), totalSteps, stop, losses, lastCheckpoint);
                }
            }
            return new TrainingResult(optimizer.step(), totalSteps, TrainingResult.StopReason.COMPLETED, losses,
                    lastCheckpoint);
        } finally {
            if (log != null) {
                log.close();
            }
        }
    }

    /** One optimiser step; returns {loss, gradient norm before clipping}. */
    private double[] step(List<T> examples, double lr) {
        double total = totalWeight(examples);
        double loss = 0;
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            for (List<T> micro : microBatches(examples)) {
                try (NDManager mb = manager.newSubManager()) {
                    // divide by a libtorch-owned scalar: div(Number) would leave autograd a dangling divisor
                    NDArray l = objective.loss(mb, micro).div(NdArrays.scalar(mb, (float) total)); // () share
                    collector.backward(l);
                    loss += l.getFloat();
                }
            }
        }
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            double squares = 0;
            for (Map.Entry<String, NDArray> e : trainable.asMap().entrySet()) {
                NDArray g = NdArrays.own(e.getValue().getGradient(), scratch); // (parameter shape), accumulated
                squares += g.square().sum().getFloat();
                grads.put(e.getKey(), g);
            }
            double norm = Math.sqrt(squares);
            Map<String, NDArray> applied = grads;
            if (config.maxGradNorm() > 0) {
                double coef = config.maxGradNorm() / (norm + 1e-6); // torch.nn.utils.clip_grad_norm_
                if (coef < 1) {
                    applied = new LinkedHashMap<>();
                    for (Map.Entry<String, NDArray> e : grads.entrySet()) {
                        applied.put(e.getKey(), e.getValue().mul((float) coef));
                    }
                }
            }
            optimizer.update(applied, lr);
            for (NDArray g : grads.values()) {
                NdArrays.zero(g); // the next step accumulates from zero
            }
            return new double[] {loss, norm};
        }
    }

    /**
     * The weighted mean loss over examples, without updating anything (validation loss), in
     * micro-batches of the config's size.
     *
     * @param examples the examples, at least one
     * @return {@code Σ loss / Σ weight}, e.g. the mean cross-entropy per predicted token
     */
    public double meanLoss(List<T> examples) {
        if (examples == null || examples.isEmpty()) {
            throw new InvalidArgumentException("a loss needs at least one example");
        }
        double sum = 0;
        for (List<T> micro : microBatches(examples)) {
            try (NDManager mb = manager.newSubManager()) {
                sum += objective.loss(mb, micro).getFloat();
            }
        }
        return sum / totalWeight(examples);
    }

    private double totalWeight(List<T> examples) {
        double total = 0;
        for (T e : examples) {
            total += objective.weight(e);
        }
        if (!(total > 0)) {
            throw new InvalidArgumentException("the examples of a step weigh " + total + " in " + objective.name()
                    + "; every step needs something to predict");
        }
        return total;
    }

    private List<List<T>> microBatches(List<T> examples) {
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < examples.size(); i += config.microBatchSize()) {
            out.add(examples.subList(i, Math.min(examples.size(), i + config.microBatchSize())));
        }
        return out;
    }

    private Path writeCheckpoint(DataOrder.Plan plan, DataOrder.Position at, List<TrainingListener> all) {
        try {
            Files.createDirectories(config.checkpointDir());
        } catch (IOException e) {
            throw new VlalignException("cannot create checkpoint folder " + config.checkpointDir() + ": "
                    + e.getMessage() + "; check that it is writable", e);
        }
        Path file = config.checkpointDir().resolve(TrainingCheckpoint.FILE_NAME);
        new TrainingCheckpoint(objective.name(), trainable.values(), trainable.shapes(), optimizer.state(),
                at.epoch(), at.positionInEpoch(), plan.seed(), plan.datasetSize()).write(file);
        for (TrainingListener l : all) {
            l.onCheckpoint(file, optimizer.step());
        }
        return file;
    }

    /**
     * The number of arrays the loop's own manager holds (0 between steps); for leak tests.
     *
     * @return the count
     */
    int managedArrays() {
        return ((BaseNDManager) manager).getManagedArrays().size();
    }

    private static boolean sameShapes(Map<String, long[]> a, Map<String, long[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (String k : a.keySet()) {
            if (!Arrays.equals(a.get(k), b.get(k))) {
                return false;
            }
        }
        return true;
    }

    private static String describe(Map<String, long[]> shapes) {
        StringBuilder sb = new StringBuilder("{");
        shapes.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append(Arrays.toString(v)));
        return sb.append('}').toString();
    }

    /** Releases the optimiser state and the scratch manager and turns gradients off again. Idempotent. */
    @Override
    public void close() {
        for (NDArray p : trainable.asMap().values()) {
            if (!p.isReleased()) {
                p.setRequiresGradient(false);
            }
        }
        optimizer.close();
        manager.close();
    }
}
