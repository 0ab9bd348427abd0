package org.vlalign.train;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vlalign.Checks;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.index.MaxSim;
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

    /**
     * The weights of BLIP-2's two other first-stage losses beside the contrastive one.
     *
     * <p>Immutable and thread-safe.
     *
     * @param matching the weight of image–text matching (ITM), 0 for none
     * @param captioning the weight of image-grounded text generation (ITG), 0 for none
     * @param contrastHardNegatives whether the pairs' {@link ImageText#hardNegative hard negatives} also join the
     *     contrastive loss as texts each image must score below its own (image→text direction only). With
     *     in-batch negatives alone, a few attributes (the set of colours) already tell captions apart, so the
     *     query outputs, which only the contrastive loss reads, need not carry shape, position or which colour
     *     belongs to which shape; a near-miss caption in the softmax asks for exactly that detail
     * @since 0.2.0
     */
    public record Losses(double matching, double captioning, boolean contrastHardNegatives) {
        /** The contrastive loss alone. */
        public static final Losses CONTRASTIVE_ONLY = new Losses(0, 0);
        /** BLIP-2's first stage: all three losses with equal weight. */
        public static final Losses BLIP2 = new Losses(1, 1);

        /** Validates. */
        public Losses {
            if (!(matching >= 0) || !(captioning >= 0) || Double.isInfinite(matching)
                    || Double.isInfinite(captioning)) {
                throw new InvalidArgumentException("loss weights must be finite and >= 0 but are matching="
                        + matching + ", captioning=" + captioning);
            }
        }

        /**
         * Weights without hard negatives in the contrastive loss.
         *
         * @param matching the weight of image–text matching (ITM), 0 for none
         * @param captioning the weight of image-grounded text generation (ITG), 0 for none
         */
        public Losses(double matching, double captioning) {
            this(matching, captioning, false);
        }

        /**
         * These weights with hard negatives in the contrastive loss, or without.
         *
         * @param on whether the pairs' hard negatives join the contrastive loss
         * @return the changed weights
         */
        public Losses withContrastHardNegatives(boolean on) {
            return new Losses(matching, captioning, on);
        }
    }

    private final Path source;
    private final BlipFeatureExtractor model;
    private final HuggingFaceTokenizer tokenizer;
    private final double temperature;
    private final Losses losses;
    private final Map<String, long[]> idCache = new HashMap<>(); // caption -> Q-Former ids, truncated

    private ContrastiveObjective(Path dir, double temperature, Losses losses) {
        this.source = dir;
        this.temperature = temperature;
        this.losses = losses;
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
        return load(dir, temperature, Losses.CONTRASTIVE_ONLY);
    }

    /**
     * Loads a retrieval checkpoint for BLIP-2's first stage: the contrastive loss plus, as weighted, image–text
     * matching and image-grounded text generation.
     *
     * <p>Matching (ITM): per pair, the checkpoint's ITM head classifies three Q-Former passes with the text
     * read beside the queries: the true pair (match), the image with the pair's {@link ImageText#hardNegative}
     * (or, without one, the batch's other text most similar to the image), and the text with the batch's other
     * image most similar to it (no match); the pair's loss is their mean cross-entropy. BLIP-2 samples these
     * in-batch negatives by similarity; taking the most similar keeps runs reproducible. Captioning (ITG):
     * the pair's mean next-token cross-entropy of its text read under the causal image-grounded mask, through
     * the tied word-embedding decoder. A pair's loss is {@code itc + matching · itm + captioning · itg}.
     *
     * @param dir a {@code Blip2ForImageTextRetrieval} folder with its Q-Former {@code tokenizer.json}
     * @param temperature the fixed softmax temperature of the contrastive loss
     * @param losses the weights of the other two losses
     * @return the objective; close it
     * @throws InvalidArgumentException if the folder has no tokenizer or the temperature is not positive
     * @throws org.vlalign.UnsupportedModelException if matching is asked of a checkpoint without ITM head
     * @since 0.2.0
     */
    public static ContrastiveObjective load(Path dir, double temperature, Losses losses) {
        if (!(temperature > 0)) {
            throw new InvalidArgumentException("temperature must be positive but was " + temperature);
        }
        Checks.checkNotNull(losses, "losses");
        return new ContrastiveObjective(dir, temperature, losses);
    }

    @Override
    NamedParameters parameters() {
        // without the matching loss no gradient reaches the ITM head: PyTorch would skip it too
        return losses.matching() > 0 ? model.parameters() : model.parameters().exclude(ITM_HEAD);
    }

    /**
     * The loss weights.
     *
     * @return the weights of matching and captioning beside the contrastive loss
     */
    public Losses losses() {
        return losses;
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
        NDArray vision = model.visionStates(scope, pixels); // (batch, 1 + patches, visionHidden)
        NDArray image = model.imageEmbedsOfVision(scope, vision); // (batch, queries, dim)
        NDArray text = model.textEmbeds(scope, padded, mask); // (batch, dim)
        NDArray sim = image.matMul(text.transpose()).max(new int[] {1}); // (images, texts)
        // constants as libtorch-owned scalars: div(Number) leaves autograd a divisor it frees (NdArrays.scalar)
        NDArray logits = sim.div(NdArrays.scalar(scope, (float) temperature)); // (images, texts)
        NDArray eye = scope.eye(b); // (images, texts)
        NDArray imageToText = contrastNegatives(scope, pairs, image, logits, eye).sum().neg(); // () over the batch
        NDArray textToImage = logits.logSoftmax(0).mul(eye).sum().neg(); // ()
        NDArray loss = imageToText.add(textToImage).div(NdArrays.scalar(scope, 2f)); // () sum of per-pair means
        if (losses.matching() > 0) {
            NDArray itm = matchingLoss(scope, pairs, vision, padded, mask, sim.toFloatArray());
            loss = loss.add(itm.mul(NdArrays.scalar(scope, (float) losses.matching())));
        }
        if (losses.captioning() > 0) {
            NDArray itg = captioningLoss(scope, vision, padded, mask, ids);
            loss = loss.add(itg.mul(NdArrays.scalar(scope, (float) losses.captioning())));
        }
        return loss;
    }

    /**
     * Image→text log-probabilities of each image's own text, (images): over the batch's texts and, if asked, the
     * batch's hard negatives besides.
     */
    private NDArray contrastNegatives(NDManager scope, List<ImageText> pairs, NDArray image, NDArray logits,
            NDArray eye) {
        List<long[]> negatives = new ArrayList<>();
        if (losses.contrastHardNegatives()) {
            for (ImageText pair : pairs) {
                if (pair.hardNegative() != null) {
                    negatives.add(ids(pair.hardNegative()));
                }
            }
        }
        if (negatives.isEmpty()) {
            return logits.logSoftmax(1).mul(eye).sum(new int[] {1});
        }
        long[][][] batch = pad(negatives.toArray(new long[0][]), new long[negatives.size()][]);
        NDArray negativeText = model.textEmbeds(scope, batch[0], batch[1]); // (negatives, dim)
        NDArray negativeLogits = image.matMul(negativeText.transpose()).max(new int[] {1})
                .div(NdArrays.scalar(scope, (float) temperature)); // (images, negatives)
        NDArray all = logits.concat(negativeLogits, 1).logSoftmax(1); // (images, texts + negatives)
        return all.get(":, 0:{}", pairs.size()).mul(eye).sum(new int[] {1});
    }

    /** ITM: per pair the mean cross-entropy of (true pair, negative text, negative image); summed. */
    private NDArray matchingLoss(NDManager scope, List<ImageText> pairs, NDArray vision, long[][] padded,
            long[][] mask, float[] sim) {
        int b = pairs.size();
        long[] imageRows = new long[3 * b];
        long[][] texts = new long[3 * b][];
        long[][] textMasks = new long[3 * b][];
        float[] labels = new float[3 * b]; // 1 = match
        for (int i = 0; i < b; i++) {
            int hardText = mostSimilar(sim, b, i, true);
            int hardImage = mostSimilar(sim, b, i, false);
            imageRows[i] = i;
            texts[i] = padded[i];
            textMasks[i] = mask[i];
            labels[i] = 1;
            imageRows[b + i] = i;
            String negative = pairs.get(i).hardNegative();
            texts[b + i] = negative == null ? padded[hardText] : ids(negative);
            textMasks[b + i] = negative == null ? mask[hardText] : null;
            imageRows[2 * b + i] = hardImage;
            texts[2 * b + i] = padded[i];
            textMasks[2 * b + i] = mask[i];
        }
        long[][][] batch = pad(texts, textMasks);
        NDArray rows = vision.get(new NDIndex("{}", NdArrays.longs(scope, imageRows, imageRows.length)));
        NDArray logProbs = model.itmLogits(scope, rows, batch[0], batch[1]).logSoftmax(1); // (3 * batch, 2)
        NDArray picked = logProbs.get(":, 1").mul(NdArrays.floats(scope, labels, labels.length))
                .add(logProbs.get(":, 0").mul(NdArrays.floats(scope, complement(labels), labels.length)));
        return picked.sum().neg().div(NdArrays.scalar(scope, 3f)); // () each pair's mean of its 3 rows
    }

    /** The other text most similar to image {@code i} ({@code byImage}), or the other image most similar to text i. */
    private static int mostSimilar(float[] sim, int b, int i, boolean byImage) {
        int best = -1;
        for (int j = 0; j < b; j++) {
            float v = byImage ? sim[i * b + j] : sim[j * b + i];
            if (j != i && (best < 0 || v > (byImage ? sim[i * b + best] : sim[best * b + i]))) {
                best = j;
            }
        }
        return best;
    }

    private static float[] complement(float[] labels) {
        float[] out = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            out[i] = 1 - labels[i];
        }
        return out;
    }

    /** Right-pads rows (a null mask means all real) to one length: {ids, mask}. */
    private long[][][] pad(long[][] rows, long[][] masks) {
        int length = 0;
        for (long[] r : rows) {
            length = Math.max(length, r.length);
        }
        long[][] ids = new long[rows.length][length];
        long[][] m = new long[rows.length][length];
        for (int i = 0; i < rows.length; i++) {
            Arrays.fill(ids[i], model.config().qformer().padTokenId());
            System.arraycopy(rows[i], 0, ids[i], 0, rows[i].length);
            if (masks[i] == null) {
                Arrays.fill(m[i], 0, rows[i].length, 1);
            } else {
                System.arraycopy(masks[i], 0, m[i], 0, Math.min(masks[i].length, length));
            }
        }
        return new long[][][] {ids, m};
    }

    /** ITG: per pair the mean next-token cross-entropy of its text, image-grounded; summed over pairs. */
    private NDArray captioningLoss(NDManager scope, NDArray vision, long[][] padded, long[][] mask, long[][] ids) {
        int b = padded.length;
        int length = padded[0].length;
        if (length < 2) {
            return NdArrays.scalar(scope, 0f);
        }
        NDArray logits = model.captionLogits(scope, vision, padded, mask); // (batch, length, vocab)
        long vocab = logits.getShape().get(2);
        NDArray logProbs = logits.get(":, 0:{}, :", length - 1).reshape(-1, vocab).logSoftmax(-1); // (b*(L-1), V)
        long[] targets = new long[b * (length - 1)];
        float[] weights = new float[targets.length];
        for (int i = 0; i < b; i++) {
            int predicted = ids[i].length - 1; // every real token after the first
            for (int t = 0; t + 1 < length; t++) {
                boolean real = t + 1 < ids[i].length;
                targets[i * (length - 1) + t] = real ? padded[i][t + 1] : 0;
                weights[i * (length - 1) + t] = real && predicted > 0 ? 1f / predicted : 0f;
            }
        }
        NDArray picked = logProbs.gather(NdArrays.longs(scope, targets, targets.length, 1), 1).reshape(-1);
        return picked.mul(NdArrays.floats(scope, weights, weights.length)).sum().neg();
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
     * One word of a text and the image-grounded captioning loss of predicting it.
     *
     * <p>Immutable and thread-safe.
     *
     * @param word the token as the Q-Former's tokenizer decodes it
     * @param loss its next-token negative log-likelihood in nats, given the image and the words before it
     * @since 0.2.0
     */
    public record WordLoss(String word, double loss) {}

    /**
     * The captioning (ITG) loss of every word of each text given an image: which words the model reads from
     * the image. Comparing a text's losses under its own image and under another image's shows it: a word
     * read from the image costs less with its own; a word guessed from the text alone costs the same with
     * either. Works whatever {@link Losses} trained the model, though without captioning the head is untrained.
     *
     * @param images the images
     * @param texts one text per image, scored after it
     * @return per text, the loss of each token after the first, in order
     * @throws InvalidArgumentException if the lists differ in length
     * @since 0.2.0
     */
    public List<List<WordLoss>> captionWordLosses(List<ImageInput> images, List<String> texts) {
        if (images.size() != texts.size()) {
            throw new InvalidArgumentException(images.size() + " images but " + texts.size()
                    + " texts; pass one text per image");
        }
        List<List<WordLoss>> out = new ArrayList<>(texts.size());
        int chunk = 32;
        for (int from = 0; from < images.size(); from += chunk) {
            int to = Math.min(images.size(), from + chunk);
            long[][] ids = new long[to - from][];
            long[][] masks = new long[ids.length][];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = ids(texts.get(from + i));
            }
            long[][][] batch = pad(ids, masks);
            int length = batch[0][0].length;
            try (NDManager call = model.newCallManager()) {
                NDArray vision = model.visionStates(call, model.pixelValues(call, images.subList(from, to)));
                NDArray logits = model.captionLogits(call, vision, batch[0], batch[1]); // (n, length, vocab)
                int vocab = (int) logits.getShape().get(2);
                float[] logProbs = logits.logSoftmax(-1).toFloatArray();
                for (int i = 0; i < ids.length; i++) {
                    List<WordLoss> words = new ArrayList<>();
                    for (int t = 0; t + 1 < ids[i].length; t++) {
                        int next = (int) ids[i][t + 1];
                        words.add(new WordLoss(tokenizer.decode(new long[] {next}),
                                -logProbs[(i * length + t) * vocab + next]));
                    }
                    out.add(List.copyOf(words));
                }
            }
        }
        return out;
    }

    /**
     * How often an image scores its own text above the pair's {@link ImageText#hardNegative hard negative},
     * each scored as the contrastive loss scores it (the max over the image's query embeddings of their dot
     * product with the text embedding). A model that reads the detail a near-miss changes reaches 1; one that
     * does not, about 0.5. Pairs without a hard negative are skipped.
     *
     * @param pairs the pairs
     * @return the share of pairs with a hard negative whose own text wins (ties lose), or NaN if none has one
     * @since 0.2.0
     */
    public double hardNegativeAccuracy(List<ImageText> pairs) {
        int wins = 0;
        int total = 0;
        for (ImageText pair : pairs) {
            if (pair.hardNegative() == null) {
                continue;
            }
            float[] image = model.embedImage(pair.image()).data();
            float own = MaxSim.score(model.embedText(pair.text()).data(), image);
            float negative = MaxSim.score(model.embedText(pair.hardNegative()).data(), image);
            wins += own > negative ? 1 : 0;
            total++;
        }
        return total == 0 ? Double.NaN : wins / (double) total;
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
        return NAME + (losses.matching() > 0 ? "-itm" : "") + (losses.captioning() > 0 ? "-itg" : "");
    }

    @Override
    public String toString() {
        return "ContrastiveObjective[" + source + ", temperature " + temperature + ", " + losses + "]";
    }
}
