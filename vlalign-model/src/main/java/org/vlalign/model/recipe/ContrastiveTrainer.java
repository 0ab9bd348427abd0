package org.vlalign.model.recipe;

import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.metrics.RetrievalEvaluator;
import org.vlalign.core.train.LearningRateSchedule;
import org.vlalign.core.train.SeededShuffle;
import org.vlalign.core.train.TrainingListener;
import org.vlalign.core.train.TrainingProgress;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.NdArrays;

/**
 * Trains a {@code Blip2ForImageTextRetrieval} checkpoint with BLIP-2's image–text contrastive loss
 * (ITC), through the SDK's own {@link BlipFeatureExtractor}.
 *
 * <p>Per step, {@code batchSize} images are drawn in a seeded epoch order, each with one of its captions
 * at random. The image side is the normalised {@code vision_projection} of the Q-Former query outputs
 * ({@code (batch, queries, dim)}), the text side the normalised {@code text_projection} of the text-only
 * Q-Former pass at the first token; similarity of image {@code i} and text {@code j} is the maximum over
 * query tokens of their dot products, divided by a fixed temperature. The loss is the symmetric InfoNCE
 * (mean of image→text and text→image cross-entropy with the matching pairs on the diagonal). Every
 * weight of the checkpoint except the unused ITM head is trained with in-place AdamW.
 *
 * <p>Not thread-safe; one trainer per thread (DJL allows one gradient collector at a time). Close it to
 * release the model and the optimiser state.
 *
 * <pre>{@code
 * try (ContrastiveTrainer t = ContrastiveTrainer.create(blip2Dir, TrainOptions.of(2000, 64, 3e-4, 1), 0.07)) {
 *     t.train(examples);
 *     t.save(outDir);
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class ContrastiveTrainer implements AutoCloseable {
    /** The image–text matching head, which the contrastive loss does not use; it keeps its initial values. */
    static final String ITM_HEAD_PREFIX = "itm_head.";

    private final WeightBinding<BlipFeatureExtractor> binding;
    private final BlipFeatureExtractor model;
    private final HuggingFaceTokenizer tokenizer;
    private final TrainOptions options;
    private final double temperature;
    private final int maxTextLength;
    private final long padId;
    private final InPlaceAdamW optimizer;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final Map<String, long[]> idCache = new HashMap<>();
    private long step;

    private ContrastiveTrainer(WeightBinding<BlipFeatureExtractor> binding, HuggingFaceTokenizer tokenizer,
            TrainOptions options, double temperature) {
        this.binding = binding;
        this.model = binding.model();
        this.tokenizer = tokenizer;
        this.options = options;
        this.temperature = temperature;
        this.maxTextLength = model.config().qformer().maxPositionEmbeddings();
        this.padId = model.config().qformer().padTokenId();
        Map<String, NDArray> trained = new LinkedHashMap<>(binding.parameters());
        trained.keySet().removeIf(name -> name.startsWith(ITM_HEAD_PREFIX)); // no ITC gradient: PyTorch skips it
        this.optimizer = new InPlaceAdamW(trained, options.adamW());
    }

    /**
     * Loads a retrieval checkpoint for training.
     *
     * @param dir a {@code Blip2ForImageTextRetrieval} folder with its Q-Former {@code tokenizer.json}
     * @param options the schedule and batch settings
     * @param temperature the fixed softmax temperature, e.g. 0.07 (BLIP-2's initial value)
     * @return the trainer; close it
     * @throws InvalidArgumentException if the folder has no tokenizer or the temperature is not positive
     */
    public static ContrastiveTrainer create(Path dir, TrainOptions options, double temperature) {
        Objects.requireNonNull(options, "options");
        if (!(temperature > 0)) {
            throw new InvalidArgumentException("temperature must be positive but was " + temperature);
        }
        WeightBinding<BlipFeatureExtractor> binding = WeightBinding.bind(
                dir, BlipFeatureExtractor::load, ContrastiveTrainer::weightManager);
        HuggingFaceTokenizer tokenizer = BlipFeatureExtractor.tokenizerFor(dir, binding.model().config());
        if (tokenizer == null) {
            binding.model().close();
            throw new InvalidArgumentException(dir + " has no tokenizer.json for the Q-Former; the contrastive"
                    + " stage needs one (RandomCheckpoints.writeRetrieval writes the world tokenizer)");
        }
        return new ContrastiveTrainer(binding, tokenizer, options, temperature);
    }

    private static NDManager weightManager(BlipFeatureExtractor extractor) {
        try (NDManager call = extractor.newCallManager()) {
            return call.getParentManager();
        }
    }

    /**
     * Adds a progress listener, called after every step.
     *
     * @param listener the listener
     * @return this trainer
     */
    public ContrastiveTrainer addListener(TrainingListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * The model being trained (its weights change with every step).
     *
     * @return the feature extractor
     */
    public BlipFeatureExtractor model() {
        return model;
    }

    /**
     * Runs {@link TrainOptions#steps()} optimiser steps.
     *
     * @param data the training images with captions, at least {@code batchSize}
     * @return the loss of every step
     * @throws InvalidArgumentException if there are fewer images than one batch
     */
    public List<Double> train(List<ImageCaptions> data) {
        int b = options.batchSize();
        if (data.size() < b) {
            throw new InvalidArgumentException("the contrastive stage needs at least batchSize=" + b
                    + " images but got " + data.size() + "; export more scenes or lower the batch size");
        }
        LearningRateSchedule schedule = options.schedule();
        Random random = new Random(options.seed());
        List<Double> losses = new ArrayList<>();
        int[] order = SeededShuffle.permutation(data.size(), random);
        int position = 0;
        int epoch = 0;
        long start = System.nanoTime();
        for (long s = 0; s < options.steps(); s++) {
            if (position + b > order.length) {
                order = SeededShuffle.permutation(data.size(), random);
                position = 0;
                epoch++;
            }
            List<ImageInput> images = new ArrayList<>(b);
            List<String> texts = new ArrayList<>(b);
            for (int i = 0; i < b; i++) {
                ImageCaptions example = data.get(order[position++]);
                images.add(example.image());
                texts.add(example.captions().get(random.nextInt(example.captions().size())));
            }
            double loss;
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector();
                    NDManager call = model.newCallManager()) {
                NDArray value = loss(call, images, texts); // ()
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
     * The contrastive loss of one batch, without training: each image with its canonical caption.
     *
     * @param batch images with captions, at least 2
     * @return the symmetric InfoNCE loss
     */
    public double loss(List<ImageCaptions> batch) {
        if (batch.size() < 2) {
            throw new InvalidArgumentException("a contrastive loss needs at least 2 pairs but got " + batch.size());
        }
        try (NDManager call = model.newCallManager()) {
            List<ImageInput> images = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (ImageCaptions example : batch) {
                images.add(example.image());
                texts.add(example.captions().get(0));
            }
            return loss(call, images, texts).getFloat();
        }
    }

    private NDArray loss(NDManager call, List<ImageInput> images, List<String> texts) {
        int b = images.size();
        NDArray pixels = model.pixelValues(call, images); // (batch, 3, size, size)
        long[][] ids = new long[b][];
        int length = 0;
        for (int i = 0; i < b; i++) {
            ids[i] = ids(texts.get(i));
            length = Math.max(length, ids[i].length);
        }
        long[][] padded = new long[b][length];
        long[][] mask = new long[b][length];
        for (int i = 0; i < b; i++) {
            Arrays.fill(padded[i], padId);
            System.arraycopy(ids[i], 0, padded[i], 0, ids[i].length);
            Arrays.fill(mask[i], 0, ids[i].length, 1);
        }
        NDArray image = model.imageEmbeds(call, pixels); // (batch, queries, dim)
        NDArray text = model.textEmbeds(call, padded, mask); // (batch, dim)
        NDArray sim = image.matMul(text.transpose()).max(new int[] {1}); // (images, texts)
        NDArray logits = sim.div(NdArrays.scalar(call, (float) temperature)); // (images, texts)
        NDArray eye = call.eye(b); // (images, texts)
        // constants as libtorch-owned scalars: div(Number) leaves autograd a divisor it frees (NdArrays.scalar)
        NDArray imageToText = logits.logSoftmax(1).mul(eye).sum().neg(); // () summed over the batch
        NDArray textToImage = logits.logSoftmax(0).mul(eye).sum().neg(); // ()
        return imageToText.add(textToImage).div(NdArrays.scalar(call, 2f * b));
    }

    private long[] ids(String text) {
        return idCache.computeIfAbsent(text, t -> {
            long[] all = tokenizer.encode(t).getIds();
            return all.length <= maxTextLength ? all : Arrays.copyOf(all, maxTextLength);
        });
    }

    /**
     * Evaluates text→image and image→text retrieval on canonical captions with the SDK's
     * {@link RetrievalEvaluator}: image {@code i} is represented by its normalised query embeddings,
     * caption {@code i} by its normalised text embedding.
     *
     * @param data the images with captions
     * @param ks the cut-offs, e.g. 1, 5, 10
     * @return the evaluation
     */
    public RetrievalEvaluator.Result evaluate(List<ImageCaptions> data, int... ks) {
        List<Features> images = new ArrayList<>();
        List<Features> texts = new ArrayList<>();
        int[] imageOfText = new int[data.size()];
        int chunk = 32;
        for (int from = 0; from < data.size(); from += chunk) {
            List<ImageCaptions> part = data.subList(from, Math.min(data.size(), from + chunk));
            try (NDManager call = model.newCallManager()) {
                List<ImageInput> inputs = part.stream().map(ImageCaptions::image).toList();
                NDArray image = model.imageEmbeds(call, model.pixelValues(call, inputs)); // (n, queries, dim)
                Shape s = image.getShape();
                int q = (int) s.get(1);
                int d = (int) s.get(2);
                float[] all = image.toFloatArray();
                for (int i = 0; i < part.size(); i++) {
                    float[] one = Arrays.copyOfRange(all, i * q * d, (i + 1) * q * d);
                    images.add(Features.of(one, q, d));
                }
                for (int i = 0; i < part.size(); i++) {
                    long[] id = ids(part.get(i).captions().get(0));
                    long[][] mask = new long[1][id.length];
                    Arrays.fill(mask[0], 1);
                    float[] t = model.textEmbeds(call, new long[][] {id}, mask).toFloatArray();
                    texts.add(Features.ofVector(t));
                    imageOfText[from + i] = from + i;
                }
            }
        }
        return RetrievalEvaluator.evaluate(images, texts, imageOfText, ks);
    }

    /**
     * Writes the current weights as a Hugging Face folder loadable by {@link BlipFeatureExtractor#load}.
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
        tokenizer.close();
        model.close();
    }
}
