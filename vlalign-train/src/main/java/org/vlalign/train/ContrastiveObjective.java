package org.vlalign.train;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.metrics.RetrievalEvaluator;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;

/**
 * BLIP-2's image–text contrastive loss (ITC) on a {@code Blip2ForImageTextRetrieval} checkpoint, through
 * the SDK's own {@link BlipFeatureExtractor}.
 *
 * <p>The image side is the normalised {@code vision_projection} of the Q-Former query outputs ({@code
 * (batch, queries, dim)}), the text side the normalised {@code text_projection} of the text-only Q-Former
 * pass at the first token; the similarity of image {@code i} and text {@code j} is the maximum over query
 * tokens of their dot products, divided by a fixed temperature. A micro-batch's loss is the symmetric
 * InfoNCE summed over its pairs (each pair's mean of image→text and text→image cross-entropy, the
 * matching pairs on the diagonal), and a pair weighs 1, so a {@link TrainingLoop} step's loss is the
 * usual mean; the micro-batch is the contrastive batch, so keep {@code microBatchSize} at the batch
 * size. Every weight except the unused ITM head ({@code itm_head.*}) is offered for training.
 *
 * <p>Not thread-safe; one loop uses it. It owns the model and tokenizer it loaded: {@link #close}
 * releases them.
 *
 * <pre>{@code
 * try (ContrastiveObjective itc = ContrastiveObjective.load(blip2Dir, 0.07);
 *         TrainingLoop<ImageText> loop = TrainingLoop.create(itc, config)) {
 *     loop.train(StreamOrder.of(images, 64, 2000, 1L, (img, r) -> new ImageText(img.image(), img.pick(r))));
 *     itc.save(outDir);
 * }
 * }</pre>
 *
 * @since 0.2.0
 */
public final class ContrastiveObjective extends Objective<ImageText> {

    /** The objective's name in checkpoints. */
    public static final String NAME = "blip2-itc";
    /** The image–text matching head, which the contrastive loss does not use; it keeps its values. */
    static final String ITM_HEAD = "itm_head.**";

    private final Path source;
    private final BlipFeatureExtractor model;
    private final HuggingFaceTokenizer tokenizer;
    private final double temperature;
    private final Map<String, long[]> idCache = new HashMap<>(); // caption -> Q-Former ids, truncated

    private ContrastiveObjective(Path dir, double temperature) {
        this.source = dir;
        this.temperature = temperature;
        this.model = BlipFeatureExtractor.load(dir);
        this.tokenizer = BlipFeatureExtractor.tokenizerFor(dir, model.config());
        if (tokenizer == null) {
            model.close();
            throw new InvalidArgumentException(dir + " has no tokenizer.json for the Q-Former; the contrastive"
                    + " objective needs one");
        }
    }

    /**
     * Loads a retrieval checkpoint for training.
     *
     * @param dir a {@code Blip2ForImageTextRetrieval} folder with its Q-Former {@code tokenizer.json}
     * @param temperature the fixed softmax temperature, e.g. 0.07 (BLIP-2's initial value)
     * @return the objective; close it
     * @throws InvalidArgumentException if the folder has no tokenizer or the temperature is not positive
     */
    public static ContrastiveObjective load(Path dir, double temperature) {
        if (!(temperature > 0)) {
            throw new InvalidArgumentException("temperature must be positive but was " + temperature);
        }
        return new ContrastiveObjective(dir, temperature);
    }

    @Override
    NamedParameters parameters() {
        return model.parameters().exclude(ITM_HEAD); // no ITC gradient reaches it: PyTorch would skip it too
    }

    /**
     * The model being trained (its weights change with every step).
     *
     * @return the feature extractor
     */
    public BlipFeatureExtractor model() {
        return model;
    }

    @Override
    public double weight(ImageText pair) {
        return 1;
    }

    @Override
    NDArray loss(NDManager scope, List<ImageText> pairs) {
        int b = pairs.size();
        if (b < 2) {
            throw new InvalidArgumentException("a contrastive loss needs at least 2 pairs (negatives) but got " + b
                    + "; use a micro-batch of the whole batch");
        }
        List<ImageInput> images = new ArrayList<>(b);
        long[][] ids = new long[b][];
        int length = 0;
        for (int i = 0; i < b; i++) {
            images.add(pairs.get(i).image());
            ids[i] = ids(pairs.get(i).text());
            length = Math.max(length, ids[i].length);
        }
        long[][] padded = new long[b][length];
        long[][] mask = new long[b][length];
        for (int i = 0; i < b; i++) {
            Arrays.fill(padded[i], model.config().qformer().padTokenId());
            System.arraycopy(ids[i], 0, padded[i], 0, ids[i].length);
            Arrays.fill(mask[i], 0, ids[i].length, 1);
        }
        NDArray pixels = model.pixelValues(scope, images); // (batch, 3, size, size)
        NDArray image = model.imageEmbeds(scope, pixels); // (batch, queries, dim)
        NDArray text = model.textEmbeds(scope, padded, mask); // (batch, dim)
        NDArray sim = image.matMul(text.transpose()).max(new int[] {1}); // (images, texts)
        // constants as libtorch-owned scalars: div(Number) leaves autograd a divisor it frees (NdArrays.scalar)
        NDArray logits = sim.div(NdArrays.scalar(scope, (float) temperature)); // (images, texts)
        NDArray eye = scope.eye(b); // (images, texts)
        NDArray imageToText = logits.logSoftmax(1).mul(eye).sum().neg(); // () summed over the batch
        NDArray textToImage = logits.logSoftmax(0).mul(eye).sum().neg(); // ()
        return imageToText.add(textToImage).div(NdArrays.scalar(scope, 2f)); // () sum of per-pair means
    }

    private long[] ids(String text) {
        int max = model.config().qformer().maxPositionEmbeddings();
        return idCache.computeIfAbsent(text, t -> {
            long[] all = tokenizer.encode(t).getIds();
            return all.length <= max ? all : Arrays.copyOf(all, max);
        });
    }

    /**
     * Evaluates text→image and image→text retrieval with the SDK's {@link RetrievalEvaluator}: image
     * {@code i} is represented by its normalised query embeddings, text {@code i} (its caption) by its
     * normalised text embedding.
     *
     * @param images the images
     * @param captions one caption per image, in the same order
     * @param ks the cut-offs, e.g. 1, 5, 10
     * @return the evaluation
     * @throws InvalidArgumentException if the lists differ in length
     */
    public RetrievalEvaluator.Result evaluate(List<ImageInput> images, List<String> captions, int... ks) {
        if (images.size() != captions.size()) {
            throw new InvalidArgumentException(images.size() + " images but " + captions.size()
                    + " captions; pass one caption per image");
        }
        List<Features> imageFeatures = new ArrayList<>();
        List<Features> texts = new ArrayList<>();
        int[] imageOfText = new int[images.size()];
        int chunk = 32;
        for (int from = 0; from < images.size(); from += chunk) {
            List<ImageInput> part = images.subList(from, Math.min(images.size(), from + chunk));
            try (NDManager call = model.newCallManager()) {
                NDArray image = model.imageEmbeds(call, model.pixelValues(call, part)); // (n, queries, dim)
                Shape s = image.getShape();
                int q = (int) s.get(1);
                int d = (int) s.get(2);
                float[] all = image.toFloatArray();
                for (int i = 0; i < part.size(); i++) {
                    imageFeatures.add(Features.of(Arrays.copyOfRange(all, i * q * d, (i + 1) * q * d), q, d));
                }
                for (int i = 0; i < part.size(); i++) {
                    long[] id = ids(captions.get(from + i));
                    long[][] mask = new long[1][id.length];
                    Arrays.fill(mask[0], 1);
                    texts.add(Features.ofVector(model.textEmbeds(call, new long[][] {id}, mask).toFloatArray()));
                    imageOfText[from + i] = from + i;
                }
            }
        }
        return RetrievalEvaluator.evaluate(imageFeatures, texts, imageOfText, ks);
    }

    /**
     * Writes the current weights as a Hugging Face folder that {@link BlipFeatureExtractor#load} reads
     * (the ITM head unchanged, the source folder's other files copied).
     *
     * @param target the folder, not the source
     * @return {@code target}
     */
    public Path save(Path target) {
        return model.parameters().saveAsFolder(source, target);
    }

    /** Releases the tokenizer and the model. */
    @Override
    public void close() {
        tokenizer.close();
        model.close();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String toString() {
        return "ContrastiveObjective[" + source + ", temperature " + temperature + "]";
    }
}
