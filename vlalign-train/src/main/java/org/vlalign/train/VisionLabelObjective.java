package org.vlalign.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vlalign.Checks;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;

/**
 * Pre-trains a BLIP-2 checkpoint's image side on yes/no image labels, before BLIP-2's first stage: a stand-in
 * for the pre-trained image encoder BLIP-2 starts from, when the tower is trained from scratch.
 *
 * <p>A linear head gives one logit per label; an item's loss is the mean binary cross-entropy over its labels.
 * What the head reads, and so what learns, is the {@link Reads} chosen at load:
 * <ul>
 *   <li>{@link Reads#TOWER}: the tower's last hidden state (every token, flattened); only the tower
 *       ({@code vision_model.**}) and the head learn;</li>
 *   <li>{@link Reads#QUERIES}: the Q-Former's query rows (flattened: the extractor's output, what the adaptor
 *       reads); the tower, {@code query_tokens} and the Q-Former's query path learn (its text feed-forward
 *       layers, {@code intermediate} and {@code output}, which a query-only pass does not use, stay as
 *       loaded, untouched by weight decay).</li>
 * </ul>
 * The head exists only in this objective: {@link #save} writes the checkpoint with the trained weights and
 * every other weight as loaded.
 *
 * <p>Why: a ViT of the default model's size learns what a shape is (its kind) slowly from any signal, about as
 * slowly per step from direct labels as from BLIP-2's three first-stage losses, but a step of this objective
 * runs the image side alone, without the Q-Former's text passes. Read through the tower's tokens, where a
 * token's place already says its cell, the labels taught kind but left a shape's cell hard to read from the
 * Q-Former's output; read through the queries they teach the output itself.
 *
 * <p>Not thread-safe: one training loop drives it.
 *
 * @since 0.2.0
 */
public final class VisionLabelObjective extends Objective<ImageLabels> {
    /** The objective's name in training logs and checkpoints. */
    public static final String NAME = "vision-labels";

    private static final String HEAD_WEIGHT = "label_head.weight";
    private static final String HEAD_BIAS = "label_head.bias";

    /** Which output the label head reads, and so which weights learn. */
    public enum Reads {
        /** The vision tower's last hidden state, every token flattened; only the tower learns. */
        TOWER("vision_model.**"),
        /**
         * The Q-Former's query rows, flattened; the tower, the query tokens and the query path learn. The
         * query path is the Q-Former's input LayerNorm, its self- and cross-attention and its query
         * feed-forward layers; its text feed-forward layers get no gradient from a pass over the queries
         * alone.
         */
        QUERIES("vision_model.**", AdaptorObjective.QUERY_PATH);

        private final List<String> learns;

        Reads(String learns) {
            this.learns = List.of(learns);
        }

        Reads(String first, List<String> rest) {
            List<String> all = new ArrayList<>(List.of(first));
            all.addAll(rest);
            this.learns = List.copyOf(all);
        }

        /**
         * Globs over the checkpoint's keys of the weights this objective trains: the weights that the output
         * it reads depends on (freeze them afterwards to keep that output as trained).
         *
         * @return the globs, in {@link NamedParameters#select(String...)}'s syntax
         */
        public List<String> learns() {
            return learns;
        }
    }

    private final Path source;
    private final int labels;
    private final Reads reads;
    private final BlipFeatureExtractor model;
    private final NDManager headManager;
    private final NamedParameters head;

    private VisionLabelObjective(Path dir, int labels, Reads reads, long seed) {
        this.source = dir;
        this.labels = labels;
        this.reads = reads;
        this.model = BlipFeatureExtractor.load(dir);
        var vision = model.config().vision();
        int patchesPerSide = vision.imageSize() / vision.patchSize();
        int in = reads == Reads.TOWER ? (1 + patchesPerSide * patchesPerSide) * vision.hiddenSize()
                : model.config().numQueryTokens() * model.config().qformer().hiddenSize();
        this.headManager = NDManager.newBaseManager();
        // PyTorch's nn.Linear scale, drawn from a seeded stream so runs repeat
        SplittableRandom random = new SplittableRandom(seed);
        float[] w = new float[labels * in];
        double bound = 1 / Math.sqrt(in);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
        }
        Map<String, NDArray> byKey = new LinkedHashMap<>();
        byKey.put(HEAD_WEIGHT, NdArrays.floats(headManager, w, labels, in));
        byKey.put(HEAD_BIAS, NdArrays.floats(headManager, new float[labels], labels));
        this.head = NamedParameters.of(byKey);
    }

    /**
     * Loads a BLIP-2 checkpoint whose vision tower is to learn {@code labels} yes/no labels from its tokens
     * ({@link Reads#TOWER}).
     *
     * @param dir a BLIP-2 checkpoint folder
     * @param labels the number of labels of every item, at least 1
     * @param seed the head's initialisation seed
     * @return the objective; close it
     * @throws InvalidArgumentException if {@code labels} is not positive
     */
    public static VisionLabelObjective load(Path dir, int labels, long seed) {
        return load(dir, labels, Reads.TOWER, seed);
    }

    /**
     * Loads a BLIP-2 checkpoint whose image side is to learn {@code labels} yes/no labels, read as
     * {@code reads} says.
     *
     * @param dir a BLIP-2 checkpoint folder
     * @param labels the number of labels of every item, at least 1
     * @param reads what the label head reads
     * @param seed the head's initialisation seed
     * @return the objective; close it
     * @throws InvalidArgumentException if {@code labels} is not positive
     * @since 0.2.0
     */
    public static VisionLabelObjective load(Path dir, int labels, Reads reads, long seed) {
        Checks.checkNotNull(dir, "dir");
        Checks.checkNotNull(reads, "reads");
        if (labels <= 0) {
            throw new InvalidArgumentException("a label objective needs at least 1 label but got " + labels);
        }
        return new VisionLabelObjective(dir, labels, reads, seed);
    }

    /**
     * What the label head reads.
     *
     * @return the choice made at load
     */
    public Reads reads() {
        return reads;
    }

    /**
     * The model being trained (its tower, and with {@link Reads#QUERIES} its query path, change with every
     * step).
     *
     * @return the feature extractor
     */
    public BlipFeatureExtractor model() {
        return model;
    }

    @Override
    NamedParameters parameters() {
        return NamedParameters.concat(model.parameters().select(reads.learns().toArray(String[]::new)), head);
    }

    @Override
    public double weight(ImageLabels item) {
        return 1;
    }

    @Override
    NDArray loss(NDManager scope, List<ImageLabels> items) {
        NDArray logits = logits(scope, items); // (batch, labels)
        float[] target = new float[items.size() * labels * 2]; // one-hot over {no, yes} per label
        for (int i = 0; i < items.size(); i++) {
            for (int l = 0; l < labels; l++) {
                target[(i * labels + l) * 2 + (items.get(i).isPositive(l) ? 1 : 0)] = 1;
            }
        }
        // log σ(x) and log(1 − σ(x)) as a two-way log-softmax over (0, x): stable for any x
        NDArray pair = logits.zerosLike().expandDims(2).concat(logits.expandDims(2), 2); // (batch, labels, 2)
        NDArray logProbs = pair.logSoftmax(2);
        NDArray t = NdArrays.floats(scope, target, items.size(), labels, 2);
        // () the sum over items of each item's mean over its labels
        return logProbs.mul(t).sum().neg().div(NdArrays.scalar(scope, labels));
    }

    private NDArray logits(NDManager scope, List<ImageLabels> items) {
        List<ImageInput> images = new ArrayList<>(items.size());
        for (ImageLabels item : items) {
            if (item.count() != labels) {
                throw new InvalidArgumentException("this objective has " + labels + " labels but an item has "
                        + item.count());
            }
            images.add(item.image());
        }
        NDArray pixels = model.pixelValues(scope, images);
        NDArray out = reads == Reads.TOWER
                ? model.visionStates(scope, pixels) // (batch, 1 + patches, visionHidden)
                : model.queryOutput(scope, pixels, null, null); // (batch, queries, qformerHidden)
        NDArray flat = out.reshape(items.size(), -1);
        return NdArrays.linear(flat, head.get(HEAD_WEIGHT), head.get(HEAD_BIAS));
    }

    /**
     * How well the head reads held-out items, without training.
     *
     * @param items labelled images
     * @return {@code labelAccuracy} (share of all labels right), {@code exactMatch} (share of items with every
     *     label right) and {@code positiveF1} (F1 of the positive labels)
     */
    public Map<String, Double> evaluate(List<ImageLabels> items) {
        long right = 0;
        long exact = 0;
        long truePositive = 0;
        long predicted = 0;
        long actual = 0;
        for (int from = 0; from < items.size(); from += 64) {
            List<ImageLabels> part = items.subList(from, Math.min(items.size(), from + 64));
            float[] logits;
            try (NDManager call = model.newCallManager()) {
                logits = logits(call, part).toFloatArray();
            }
            for (int i = 0; i < part.size(); i++) {
                boolean all = true;
                for (int l = 0; l < labels; l++) {
                    boolean yes = logits[i * labels + l] > 0;
                    boolean truth = part.get(i).isPositive(l);
                    right += yes == truth ? 1 : 0;
                    all &= yes == truth;
                    truePositive += yes && truth ? 1 : 0;
                    predicted += yes ? 1 : 0;
                    actual += truth ? 1 : 0;
                }
                exact += all ? 1 : 0;
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("labelAccuracy", items.isEmpty() ? Double.NaN : right / (double) (items.size() * (long) labels));
        out.put("exactMatch", items.isEmpty() ? Double.NaN : exact / (double) items.size());
        out.put("positiveF1", predicted + actual == 0 ? Double.NaN : 2.0 * truePositive / (predicted + actual));
        return out;
    }

    /**
     * Writes the checkpoint with the trained weights (the head is not part of it) to a new folder.
     *
     * @param target the folder, not the source
     * @return {@code target}
     */
    public Path save(Path target) {
        return model.parameters().saveAsFolder(source, target);
    }

    /** Releases the head and the model. */
    @Override
    public void close() {
        headManager.close();
        model.close();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String toString() {
        return NAME + "(" + labels + " labels read from the " + (reads == Reads.TOWER ? "tower" : "queries")
                + ", from " + source + ")";
    }
}
