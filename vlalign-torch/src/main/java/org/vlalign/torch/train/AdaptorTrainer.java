package org.vlalign.torch.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.PromptWrapper;
import org.vlalign.VlalignException;
import org.vlalign.core.train.FeatureSource;
import org.vlalign.core.train.LearningRateSchedule;
import org.vlalign.core.train.LossLog;
import org.vlalign.core.train.SeededShuffle;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.core.train.TrainingListener;
import org.vlalign.core.train.TrainingProgress;
import org.vlalign.spi.DecoderInput;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * Trains an adaptor with the feature extractor and the language model frozen: the reference system's
 * alignment stage (image–caption pairs, empty query) and instruction stage ((image, query, answer)
 * triples), by causal-LM loss on the answer tokens only.
 *
 * <p>Each example becomes the prompt the {@link PromptWrapper} builds around the adapted image
 * embeddings for its query, followed by the answer's tokens and (by default) EOS. Labels are {@code
 * −100} everywhere except on the answer and EOS; the loss is Hugging Face's shift-by-one cross-entropy,
 * averaged over every answer token of an optimiser step's examples (micro-batches × accumulation). Only
 * the adaptor's parameters require gradients, so the language model's weights never change; the
 * gradient is clipped to a global norm and applied with {@link AdamW}, the learning rate following
 * the configured schedule.
 *
 * <p>Epoch {@code e} visits the examples in the order {@link SeededShuffle#permutation} gives for
 * {@link SeededShuffle#epochSeed}{@code (seed, e)}. Checkpoints ({@link TrainingCheckpoint}) hold the
 * adaptor, the optimiser state, the epoch, the position in it and its seed, so {@link #resume}
 * continues exactly where the run stopped: the resumed loss curve equals the uninterrupted one.
 *
 * <p>Memory: every micro-batch runs in its own sub-manager of a trainer-owned manager, closed after the
 * backward pass; parameters live in the adaptor, moments in the optimiser; nothing grows over steps.
 *
 * <p>Not thread-safe: run one trainer on one thread (DJL allows one gradient collector at a time per
 * JVM). {@link #close} releases the optimiser state and the trainer's manager; the language model,
 * the adaptor and the feature source stay the caller's.
 *
 * <pre>{@code
 * try (LlamaLanguageModel lm = LlamaLanguageModel.load(llamaDir);
 *         TrainableAdaptor adaptor = TrainableAdaptor.linear(768, lm.hiddenSize(), 0L);
 *         AdaptorTrainer trainer = AdaptorTrainer.create(lm, Llama2ChatPromptWrapper.create(), adaptor,
 *                 featureCache, TrainingConfig.builder().epochs(3).checkpointDir(runDir).build())) {
 *     TrainingResult r = trainer.train(TrainingData.readCocoCaptions(captions, images, TextNormalization.NONE));
 *     adaptor.export(runDir.resolve("adaptor.safetensors"));
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class AdaptorTrainer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AdaptorTrainer.class);

    /** The label of positions that carry no loss, as Hugging Face's {@code ignore_index}. */
    static final int IGNORE = -100;
    /** The file name of the final adaptor export in the checkpoint folder. */
    public static final String ADAPTOR_FILE = "adaptor.safetensors";

    private final LlamaLanguageModel languageModel;
    private final LlamaModel model;
    private final PromptWrapper wrapper;
    private final TrainableAdaptor adaptor;
    private final FeatureSource features;
    private final TrainingConfig config;
    private final AdamW optimizer;
    private final NDManager manager;
    private final int eosTokenId; // -1 if the model has none
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final Map<TrainingExample, Encoded> encoded = new IdentityHashMap<>();

    /**
     * One example as token ids with an image slot, and its labels.
     *
     * @param ids the full sequence; {@code -1} at the image positions
     * @param labels {@link #IGNORE} except on answer tokens
     * @param imageStart the first image position
     * @param imageRows the number of image positions
     * @param answerTokens the number of labelled positions
     */
    record Encoded(int[] ids, int[] labels, int imageStart, int imageRows, int answerTokens) {}

    private AdaptorTrainer(LlamaLanguageModel languageModel, PromptWrapper wrapper, TrainableAdaptor adaptor,
            FeatureSource features, TrainingConfig config) {
        this.languageModel = languageModel;
        this.model = languageModel.model();
        this.wrapper = wrapper;
        this.adaptor = adaptor;
        this.features = features;
        this.config = config;
        List<Integer> eos = languageModel.specialTokens().eosTokenIds();
        this.eosTokenId = eos.isEmpty() ? -1 : eos.get(0);
        this.manager = NDManager.newBaseManager(adaptor.manager().getDevice(), "PyTorch");
        this.optimizer = new AdamW(adaptor, config.adamW());
        for (String name : adaptor.parameterNames()) {
            adaptor.parameter(name).setRequiresGradient(true); // only the adaptor learns
        }
    }

    /**
     * Creates a trainer.
     *
     * @param languageModel the frozen language model (with a tokenizer for text prompts and answers)
     * @param wrapper the prompt template, e.g. {@code Llama2ChatPromptWrapper}
     * @param adaptor the adaptor to train; its output width must be the model's hidden size
     * @param features the frozen features of each example's image, e.g. a {@link FeatureCache}
     * @param config the settings
     * @return the trainer; close it
     * @throws InvalidArgumentException if the adaptor does not fit the language model
     */
    public static AdaptorTrainer create(LlamaLanguageModel languageModel, PromptWrapper wrapper,
            TrainableAdaptor adaptor, FeatureSource features, TrainingConfig config) {
        if (languageModel == null || wrapper == null || adaptor == null || features == null || config == null) {
            throw new InvalidArgumentException("languageModel, wrapper, adaptor, features and config must not be null");
        }
        if (adaptor.outputDim() != languageModel.hiddenSize()) {
            throw new InvalidArgumentException("the adaptor produces width " + adaptor.outputDim()
                    + " but the language model's hidden size is " + languageModel.hiddenSize()
                    + "; create the adaptor with outputDim " + languageModel.hiddenSize());
        }
        return new AdaptorTrainer(languageModel, wrapper, adaptor, features, config);
    }

    /**
     * Adds a progress listener.
     *
     * @param listener called after every step and checkpoint
     * @return this trainer
     */
    public AdaptorTrainer addListener(TrainingListener listener) {
        listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
        return this;
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
     * The optimiser steps of one epoch over {@code examples} examples.
     *
     * @param examples the dataset size
     * @return {@code ceil(examples / effectiveBatchSize)}
     */
    public long stepsPerEpoch(int examples) {
        return (examples + config.effectiveBatchSize() - 1) / config.effectiveBatchSize();
    }

    /**
     * Trains from the start.
     *
     * @param examples the training set, at least one example
     * @return the result
     */
    public TrainingResult train(List<TrainingExample> examples) {
        checkExamples(examples);
        return run(examples, 0, 0, false);
    }

    /**
     * Continues a run from its checkpoint: restores the adaptor, the optimiser and the position, then
     * trains on. Pass the same examples in the same order and the same config as the first run.
     *
     * @param checkpoint a {@link TrainingCheckpoint#FILE_NAME} file
     * @param examples the training set of the original run
     * @return the result of the remaining steps
     * @throws CheckpointException if the checkpoint does not fit this adaptor, seed or dataset
     */
    public TrainingResult resume(Path checkpoint, List<TrainingExample> examples) {
        checkExamples(examples);
        TrainingCheckpoint c = TrainingCheckpoint.read(checkpoint);
        if (c.kind() != adaptor.kind() || !sameShapes(c.shapes(), adaptor.shapes())) {
            throw new CheckpointException("checkpoint " + checkpoint + " holds a " + c.kind() + " adaptor with shapes "
                    + describe(c.shapes()) + " but the trainer's adaptor is " + adaptor + " with "
                    + describe(adaptor.shapes()) + "; resume with the same adaptor architecture");
        }
        if (c.runSeed() != config.seed() || c.examples() != examples.size()
                || c.epochSeed() != SeededShuffle.epochSeed(config.seed(), c.epoch())) {
            throw new CheckpointException("checkpoint " + checkpoint + " was written by a run with seed " + c.runSeed()
                    + " over " + c.examples() + " examples, but this trainer has seed " + config.seed() + " and "
                    + examples.size() + " examples; resume with the original config and dataset");
        }
        for (String name : adaptor.parameterNames()) {
            NDArray p = NdArrays.floats(manager, c.parameters().get(name), c.shapes().get(name));
            p.setRequiresGradient(true);
            adaptor.replaceParameter(name, p);
        }
        optimizer.restore(c.optimizer());
        LOG.info("resuming from {} at step {}, epoch {}, position {}", checkpoint, c.step(), c.epoch(), c.position());
        return run(examples, c.epoch(), c.position(), true);
    }

    private TrainingResult run(List<TrainingExample> examples, int startEpoch, int startPosition, boolean resumed) {
        int n = examples.size();
        int perStep = config.effectiveBatchSize();
        long perEpoch = stepsPerEpoch(n);
        long totalSteps = perEpoch * config.epochs();
        LearningRateSchedule schedule = config.schedule().apply(perEpoch, totalSteps);
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
            int epoch = startEpoch;
            int position = startPosition;
            while (epoch < config.epochs()) {
                long epochSeed = SeededShuffle.epochSeed(config.seed(), epoch);
                int[] order = config.shuffle() ? SeededShuffle.permutation(n, epochSeed) : identity(n);
                while (position < n) {
                    int end = Math.min(n, position + perStep);
                    List<TrainingExample> batch = new ArrayList<>(end - position);
                    for (int i = position; i < end; i++) {
                        batch.add(examples.get(order[i]));
                    }
                    long stepIndex = optimizer.step();
                    double lr = schedule.learningRate(stepIndex);
                    double[] lossAndNorm = step(batch, lr);
                    int stepEpoch = epoch;
                    boolean epochDone = end == n;
                    position = epochDone ? 0 : end; // a finished epoch is stored as (next epoch, position 0)
                    if (epochDone) {
                        epoch++;
                    }
                    stepsThisRun++;
                    examplesDone += batch.size();
                    losses.add(lossAndNorm[0]);
                    double elapsed = (System.nanoTime() - start) / 1e9;
                    double rate = examplesDone / Math.max(elapsed, 1e-9);
                    long remaining = (totalSteps - optimizer.step()) * perStep;
                    TrainingProgress progress = new TrainingProgress(optimizer.step(), totalSteps, stepEpoch,
                            epochDone ? n : position, lossAndNorm[0], lr, lossAndNorm[1], batch.size(), rate,
                            Duration.ofMillis((long) (remaining / rate * 1000)));
                    for (TrainingListener l : all) {
                        l.onStep(progress);
                    }
                    boolean finished = epoch >= config.epochs();
                    TrainingResult.StopReason stop = null;
                    if (!finished && config.stopAfterSteps() > 0 && optimizer.step() >= config.stopAfterSteps()) {
                        stop = TrainingResult.StopReason.STEP_LIMIT;
                    } else if (!finished && config.wallTimeBudget() != null) {
                        double perStepSeconds = elapsed / stepsThisRun;
                        if (elapsed + 2 * perStepSeconds > config.wallTimeBudget().toNanos() / 1e9) {
                            stop = TrainingResult.StopReason.WALL_TIME_BUDGET;
                        }
                    }
                    boolean periodic = config.checkpointEvery() > 0 && optimizer.step() % config.checkpointEvery() == 0;
                    if (config.checkpointDir() != null && (periodic || stop != null || finished)) {
                        lastCheckpoint = Optional.of(writeCheckpoint(epoch, position, n, all));
                    }
                    if (stop != null) {
                        LOG.info("stopping at step {} of {} ({})", optimizer.step(), totalSteps, stop);
                        return new TrainingResult(optimizer.step(), totalSteps, stop, losses, lastCheckpoint);
                    }
                    if (epochDone) {
                        break;
                    }
                }
            }
            if (config.checkpointDir() != null) {
                adaptor.export(config.checkpointDir().resolve(ADAPTOR_FILE));
            }
            return new TrainingResult(optimizer.step(), totalSteps, TrainingResult.StopReason.COMPLETED, losses,
                    lastCheckpoint);
        } finally {
            if (log != null) {
                log.close();
            }
        }
    }

    private Path writeCheckpoint(int epoch, int position, int n, List<TrainingListener> all) {
        try {
            Files.createDirectories(config.checkpointDir());
        } catch (java.io.IOException e) {
            throw new VlalignException("cannot create checkpoint folder " + config.checkpointDir() + ": "
                    + e.getMessage(), e);
        }
        Path file = config.checkpointDir().resolve(TrainingCheckpoint.FILE_NAME);
        new TrainingCheckpoint(adaptor.kind(), adaptor.values(), adaptor.shapes(), optimizer.state(), epoch, position,
                SeededShuffle.epochSeed(config.seed(), epoch), config.seed(), n).write(file);
        for (TrainingListener l : all) {
            l.onCheckpoint(file, optimizer.step());
        }
        return file;
    }

    /** One optimiser step; returns {loss, gradient norm before clipping}. */
    private double[] step(List<TrainingExample> batch, double lr) {
        long tokens = 0;
        for (TrainingExample e : batch) {
            tokens += layout(e).answerTokens();
        }
        double loss = 0;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            for (int i = 0; i < batch.size(); i += config.microBatchSize()) {
                List<TrainingExample> micro = batch.subList(i, Math.min(batch.size(), i + config.microBatchSize()));
                try (NDManager mb = manager.newSubManager()) {
                    // divide by a libtorch-owned scalar: div(Number) would leave autograd a dangling divisor
                    NDArray l = lossSum(mb, micro).div(NdArrays.scalar(mb, tokens)); // () mean share of this micro-batch
                    collector.backward(l);
                    loss += l.getFloat();
                }
            }
        }
        try (NDManager scratch = manager.newSubManager()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            double squares = 0;
            for (String name : adaptor.parameterNames()) {
                NDArray g = NdArrays.own(adaptor.parameter(name).getGradient(), scratch); // (parameter shape)
                squares += g.square().sum().getFloat();
                grads.put(name, g);
            }
            double norm = Math.sqrt(squares);
            if (config.maxGradNorm() > 0) {
                double coef = config.maxGradNorm() / (norm + 1e-6); // torch.nn.utils.clip_grad_norm_
                if (coef < 1) {
                    grads.replaceAll((name, g) -> g.mul((float) coef));
                }
            }
            optimizer.update(adaptor, grads, lr);
            return new double[] {loss, norm};
        }
    }

    /**
     * The mean answer-token loss over examples, without updating anything (validation loss).
     *
     * @param examples the examples
     * @return the mean cross-entropy per answer token
     */
    public double loss(List<TrainingExample> examples) {
        checkExamples(examples);
        double sum = 0;
        long tokens = 0;
        for (int i = 0; i < examples.size(); i += config.microBatchSize()) {
            List<TrainingExample> micro = examples.subList(i, Math.min(examples.size(), i + config.microBatchSize()));
            try (NDManager mb = manager.newSubManager()) {
                sum += lossSum(mb, micro).getFloat();
            }
            for (TrainingExample e : micro) {
                tokens += layout(e).answerTokens();
            }
        }
        return sum / tokens;
    }

    /** The summed cross-entropy of a micro-batch's answer tokens, a scalar in {@code mb}. */
    private NDArray lossSum(NDManager mb, List<TrainingExample> micro) {
        int b = micro.size();
        Encoded[] enc = new Encoded[b];
        Features[] feats = new Features[b];
        int len = 0;
        for (int i = 0; i < b; i++) {
            feats[i] = features.features(micro.get(i));
            enc[i] = encode(micro.get(i), feats[i]);
            len = Math.max(len, enc[i].ids().length);
        }
        int hidden = model.config().hiddenSize();
        long[][] mask = new long[b][len];
        NDList rows = new NDList();
        for (int i = 0; i < b; i++) {
            Encoded e = enc[i];
            long[] ids = new long[e.ids().length];
            for (int j = 0; j < ids.length; j++) {
                ids[j] = Math.max(e.ids()[j], 0); // image slots are replaced below
                mask[i][j] = 1;
            }
            NDArray tokens = model.embedTokens(mb, new long[][] {ids}); // (1, len_i, hidden)
            NDArray x = NdArrays.floats(mb, feats[i].data(), feats[i].rows(), feats[i].cols()); // (rows, featureDim)
            NDArray image = adaptor.forward(x).expandDims(0); // (1, rows, hidden), differentiable
            NDList parts = new NDList();
            if (e.imageStart() > 0) {
                parts.add(tokens.get(":, 0:" + e.imageStart() + ", :"));
            }
            parts.add(image);
            int after = e.imageStart() + e.imageRows();
            if (after < ids.length) {
                parts.add(tokens.get(":, " + after + ":" + ids.length + ", :"));
            }
            if (ids.length < len) {
                parts.add(mb.zeros(new Shape(1, len - ids.length, hidden))); // right padding, masked out
            }
            rows.add(parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 1)); // (1, len, hidden)
        }
        NDArray embeds = rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows, 0); // (batch, len, hidden)
        NDArray states = model.trainingHiddenStates(mb, embeds, mask); // (batch, len, hidden)
        NDArray logits = model.logits(states.get(":, 0:" + (len - 1) + ", :")); // (batch, len - 1, vocab)
        long vocab = logits.getShape().get(2);
        long[] targets = new long[b * (len - 1)]; // labels shifted by one: position t predicts token t + 1
        float[] weights = new float[targets.length];
        for (int i = 0; i < b; i++) {
            int[] labels = enc[i].labels();
            for (int t = 0; t + 1 < len; t++) {
                int label = t + 1 < labels.length ? labels[t + 1] : IGNORE;
                targets[i * (len - 1) + t] = label == IGNORE ? 0 : label;
                weights[i * (len - 1) + t] = label == IGNORE ? 0f : 1f;
            }
        }
        NDArray logProbs = logits.reshape(-1, vocab).logSoftmax(-1); // (batch * (len - 1), vocab)
        NDArray picked = logProbs.gather(NdArrays.longs(mb, targets, targets.length, 1), 1); // (batch * (len - 1), 1)
        return picked.reshape(-1).mul(NdArrays.floats(mb, weights, weights.length)).sum().neg();
    }

    /** The cached layout, or a new one from the example's features. */
    private Encoded layout(TrainingExample example) {
        Encoded cached = encoded.get(example);
        return cached != null ? cached : encode(example, features.features(example));
    }

    /** The token layout of an example; cached, since the prompt and answer never change. */
    Encoded encode(TrainingExample example, Features f) {
        Encoded cached = encoded.get(example);
        if (cached != null && cached.imageRows() == f.rows()) {
            return cached;
        }
        if (f.cols() != adaptor.inputDim()) {
            throw new InvalidArgumentException("features of " + example.image() + " have width " + f.cols()
                    + " but the adaptor expects " + adaptor.inputDim() + "; use the extractor the adaptor was made for");
        }
        int hidden = model.config().hiddenSize();
        Prompt prompt = wrapper.wrap(Features.of(new float[f.rows() * hidden], f.rows(), hidden), example.query());
        DecoderInput input = languageModel.toDecoderInput(prompt);
        List<Integer> ids = new ArrayList<>();
        int imageStart = -1;
        for (DecoderInput.Part part : input.parts()) {
            if (part instanceof DecoderInput.Tokens t) {
                for (int id : t.ids()) {
                    ids.add(id);
                }
            } else if (part instanceof DecoderInput.Embeddings emb) {
                if (imageStart >= 0 || emb.features().rows() != f.rows()) {
                    throw new InvalidArgumentException("prompt wrapper " + wrapper.name() + " placed embeddings other than"
                            + " the image's " + f.rows() + " rows; training needs exactly one image slot");
                }
                imageStart = ids.size();
                for (int r = 0; r < f.rows(); r++) {
                    ids.add(-1);
                }
            }
        }
        if (imageStart < 0) {
            throw new InvalidArgumentException("prompt wrapper " + wrapper.name() + " did not place the image embeddings");
        }
        int promptLength = ids.size();
        int[] answer = example.answer().isEmpty() ? new int[0] : languageModel.encode(example.answer());
        for (int id : answer) {
            ids.add(id);
        }
        if (config.appendEos() && eosTokenId >= 0) {
            ids.add(eosTokenId);
        }
        int answerTokens = ids.size() - promptLength;
        if (answerTokens == 0) {
            throw new InvalidArgumentException("example " + example.image() + " has an empty answer and no EOS to learn;"
                    + " give it an answer or enable appendEos");
        }
        if (ids.size() > languageModel.contextLength()) {
            throw new InvalidArgumentException("example " + example.image() + " needs " + ids.size()
                    + " positions but the language model's context is " + languageModel.contextLength()
                    + "; shorten the answer or the query");
        }
        int[] idArray = ids.stream().mapToInt(Integer::intValue).toArray();
        int[] labels = new int[idArray.length];
        Arrays.fill(labels, IGNORE);
        System.arraycopy(idArray, promptLength, labels, promptLength, answerTokens);
        Encoded e = new Encoded(idArray, labels, imageStart, f.rows(), answerTokens);
        encoded.put(example, e);
        return e;
    }

    /**
     * The number of arrays the trainer's own manager holds (0 between steps); for leak tests.
     *
     * @return the count
     */
    int managedArrays() {
        return ((ai.djl.ndarray.BaseNDManager) manager).getManagedArrays().size();
    }

    private static void checkExamples(List<TrainingExample> examples) {
        if (examples == null || examples.isEmpty()) {
            throw new InvalidArgumentException("training needs at least one example");
        }
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
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

    /** Releases the optimiser state and the trainer's scratch manager. Idempotent. */
    @Override
    public void close() {
        optimizer.close();
        manager.close();
    }
}
