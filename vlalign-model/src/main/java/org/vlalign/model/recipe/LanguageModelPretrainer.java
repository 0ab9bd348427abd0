package org.vlalign.model.recipe;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.train.LearningRateSchedule;
import org.vlalign.core.train.SeededShuffle;
import org.vlalign.core.train.TrainingListener;
import org.vlalign.core.train.TrainingProgress;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaModel;

/**
 * Pre-trains a {@code LlamaForCausalLM} checkpoint with the next-token loss on plain texts, through the
 * SDK's own {@link LlamaModel} forward pass.
 *
 * <p>Each text becomes {@code <s> tokens </s>} with the checkpoint's tokenizer (truncated to the context
 * length). Per step, {@code batchSize} texts are drawn in a seeded epoch order, right-padded, and the loss
 * is the mean cross-entropy of predicting every real token from its prefix (Hugging Face's shift-by-one
 * loss, padding excluded). Every weight is trained with in-place AdamW.
 *
 * <p>Not thread-safe; one trainer per thread. Close it to release the model and the optimiser state.
 *
 * <pre>{@code
 * try (LanguageModelPretrainer t = LanguageModelPretrainer.create(llamaDir, TrainOptions.of(3000, 32, 1e-3, 2))) {
 *     t.train(WorldData.corpus(world, Split.TRAIN, 0, 10_000));
 *     t.save(outDir);
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class LanguageModelPretrainer implements AutoCloseable {
    private final WeightBinding<LlamaLanguageModel> binding;
    private final LlamaLanguageModel languageModel;
    private final LlamaModel model;
    private final TrainOptions options;
    private final InPlaceAdamW optimizer;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final Map<String, long[]> idCache = new HashMap<>();
    private final int bos;
    private final int eos;
    private final int pad;
    private long step;

    private LanguageModelPretrainer(WeightBinding<LlamaLanguageModel> binding, TrainOptions options) {
        this.binding = binding;
        this.languageModel = binding.model();
        this.model = languageModel.model();
        this.options = options;
        this.bos = model.config().bosTokenId();
        List<Integer> eosIds = languageModel.specialTokens().eosTokenIds();
        this.eos = eosIds.isEmpty() ? -1 : eosIds.get(0);
        this.pad = Math.max(0, languageModel.specialTokens().padTokenId());
        this.optimizer = new InPlaceAdamW(binding.parameters(), options.adamW());
    }

    /**
     * Loads a Llama folder (with {@code tokenizer.json}) for training.
     *
     * @param dir the folder
     * @param options the schedule and batch settings
     * @return the trainer; close it
     */
    public static LanguageModelPretrainer create(Path dir, TrainOptions options) {
        Objects.requireNonNull(options, "options");
        WeightBinding<LlamaLanguageModel> binding =
                WeightBinding.bind(dir, LlamaLanguageModel::load, lm -> lm.model().manager());
        if (binding.model().tokenizer().isEmpty()) {
            binding.model().close();
            throw new InvalidArgumentException(dir + " has no tokenizer.json; language-model pre-training needs one");
        }
        return new LanguageModelPretrainer(binding, options);
    }

    /**
     * Adds a progress listener, called after every step.
     *
     * @param listener the listener
     * @return this trainer
     */
    public LanguageModelPretrainer addListener(TrainingListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * The language model being trained (its weights change with every step).
     *
     * @return the language model
     */
    public LlamaLanguageModel model() {
        return languageModel;
    }

    /**
     * Runs {@link TrainOptions#steps()} optimiser steps.
     *
     * @param texts the corpus, at least {@code batchSize} texts
     * @return the loss of every step
     */
    public List<Double> train(List<String> texts) {
        int b = options.batchSize();
        if (texts.size() < b) {
            throw new InvalidArgumentException("pre-training needs at least batchSize=" + b + " texts but got "
                    + texts.size());
        }
        LearningRateSchedule schedule = options.schedule();
        Random random = new Random(options.seed());
        List<Double> losses = new ArrayList<>();
        int[] order = SeededShuffle.permutation(texts.size(), random);
        int position = 0;
        int epoch = 0;
        long start = System.nanoTime();
        for (long s = 0; s < options.steps(); s++) {
            if (position + b > order.length) {
                order = SeededShuffle.permutation(texts.size(), random);
                position = 0;
                epoch++;
            }
            List<String> batch = new ArrayList<>(b);
            for (int i = 0; i < b; i++) {
                batch.add(texts.get(order[position++]));
            }
            double loss;
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector();
                    NDManager call = model.manager().newSubManager()) {
                NDArray value = loss(call, batch); // ()
                collector.backward(value);
                loss = value.getFloat();
            }
            double lr = schedule.learningRate(step);
            double norm = optimizer.update(lr, options.maxGradNorm());
            step++;
            losses.add(loss);
            double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
            double perSecond = (s + 1) * (double) b / seconds;
            Duration eta = Duration.ofMillis((long) ((options.steps() - s - 1) * b / perSecond * 1000));
            TrainingProgress progress = new TrainingProgress(step, options.steps(), epoch, position, loss, lr, norm, b,
                    perSecond, eta);
            for (TrainingListener listener : listeners) {
                listener.onStep(progress);
            }
        }
        return losses;
    }

    /**
     * The mean next-token loss over texts, without training.
     *
     * @param texts at least one text
     * @return the mean cross-entropy per predicted token (in batches of {@code batchSize})
     */
    public double loss(List<String> texts) {
        if (texts.isEmpty()) {
            throw new InvalidArgumentException("need at least one text to compute a loss");
        }
        double sum = 0;
        long tokens = 0;
        for (int from = 0; from < texts.size(); from += options.batchSize()) {
            List<String> part = texts.subList(from, Math.min(texts.size(), from + options.batchSize()));
            long n = 0;
            for (String t : part) {
                n += ids(t).length - 1;
            }
            try (NDManager call = model.manager().newSubManager()) {
                sum += loss(call, part).getFloat() * n;
            }
            tokens += n;
        }
        return sum / tokens;
    }

    private NDArray loss(NDManager call, List<String> texts) {
        int b = texts.size();
        long[][] rows = new long[b][];
        int length = 0;
        for (int i = 0; i < b; i++) {
            rows[i] = ids(texts.get(i));
            length = Math.max(length, rows[i].length);
        }
        int vocab = model.config().vocabSize();
        long[][] input = new long[b][length];
        long[][] mask = new long[b][length];
        float[] targetWeights = new float[b * (length - 1)]; // (batch, length - 1)
        int[] targets = new int[b * (length - 1)]; // (batch, length - 1)
        int count = 0;
        for (int i = 0; i < b; i++) {
            Arrays.fill(input[i], pad);
            System.arraycopy(rows[i], 0, input[i], 0, rows[i].length);
            Arrays.fill(mask[i], 0, rows[i].length, 1);
            for (int t = 0; t + 1 < rows[i].length; t++) {
                targets[i * (length - 1) + t] = (int) rows[i][t + 1];
                targetWeights[i * (length - 1) + t] = 1f;
                count++;
            }
        }
        NDArray embeds = model.embedTokens(call, input); // (batch, length, hidden)
        NDArray hidden = model.trainingHiddenStates(call, embeds, mask); // (batch, length, hidden)
        NDArray logits = model.logits(hidden).get(":, :-1, :"); // (batch, length - 1, vocab)
        NDArray logProbs = logits.logSoftmax(-1); // (batch, length - 1, vocab)
        NDArray oneHot = call.create(targets, new Shape(b, length - 1)).oneHot(vocab); // (batch, length - 1, vocab)
        NDArray weights = call.create(targetWeights, new Shape(b, length - 1, 1)); // (batch, length - 1, 1)
        return logProbs.mul(oneHot).mul(weights).sum().neg().div(NdArrays.scalar(call, count)); // see NdArrays.scalar
    }

    private long[] ids(String text) {
        return idCache.computeIfAbsent(text, t -> {
            int[] body = languageModel.encode(t);
            int max = model.config().maxPositionEmbeddings();
            int n = Math.min(body.length, max - 2);
            long[] out = new long[n + 2];
            int k = 0;
            out[k++] = bos;
            for (int i = 0; i < n; i++) {
                out[k++] = body[i];
            }
            out[k] = eos >= 0 ? eos : pad;
            return out;
        });
    }

    /**
     * Writes the current weights as a Hugging Face folder loadable by {@link LlamaLanguageModel#load}.
     *
     * @param target the folder
     * @return {@code target}
     */
    public Path save(Path target) {
        return binding.save(target);
    }

    /**
     * The optimiser steps done.
     *
     * @return the step count
     */
    public long step() {
        return step;
    }

    @Override
    public void close() {
        optimizer.close();
        languageModel.close();
    }
}
