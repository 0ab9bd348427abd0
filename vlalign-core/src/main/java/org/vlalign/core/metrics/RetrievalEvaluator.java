package org.vlalign.core.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;

/**
 * Recall@k for text→image and image→text retrieval, from a {@link CaptionDataset} and a {@link
 * FeatureExtractor}, or from vectors computed already.
 *
 * <p>Scores follow the index: an image's score for a text is the maximum over its vectors of the dot
 * product with the text vector (BLIP-2 ITC), the cosine for one-vector models (CLIP). Ranks break
 * ties by position (an earlier image or caption ranks first), so results are deterministic. All
 * image–text pairs are scored in parallel slices; memory stays linear in the dataset size.
 *
 * <p>Stateless and thread-safe.
 *
 * <pre>{@code
 * RetrievalEvaluator.Result r = RetrievalEvaluator.evaluate(
 *         extractor, CaptionDataset.load(json, imageRoot, "test"), 1, 5, 10);
 * System.out.println(r.recall(1).textToImage());
 * }</pre>
 *
 * @since 0.1.0
 */
public final class RetrievalEvaluator {
    private RetrievalEvaluator() {}

    /**
     * The outcome of an evaluation.
     *
     * <p>Immutable and thread-safe.
     *
     * @param images the images evaluated
     * @param texts the captions evaluated
     * @param recalls recall at each requested cut-off, in the order requested
     * @param textRanks for each caption, the 0-based rank of its image
     * @param imageRanks for each image, the 0-based rank of its best-ranked caption ({@code -1} for
     *     images without captions)
     * @since 0.1.0
     */
    public record Result(
            int images, int texts, List<RecallAtK> recalls, int[] textRanks, int[] imageRanks) {
        /** Copies. */
        public Result {
            recalls = List.copyOf(recalls);
            textRanks = textRanks.clone();
            imageRanks = imageRanks.clone();
        }

        /**
         * The recall at one cut-off.
         *
         * @param k a cut-off that was requested
         * @return its recall
         * @throws InvalidArgumentException if {@code k} was not requested
         */
        public RecallAtK recall(int k) {
            for (RecallAtK r : recalls) {
                if (r.k() == k) {
                    return r;
                }
            }
            throw new InvalidArgumentException("k " + k + " was not evaluated; evaluated: " + recalls);
        }

        @Override
        public int[] textRanks() {
            return textRanks.clone();
        }

        @Override
        public int[] imageRanks() {
            return imageRanks.clone();
        }
    }

    /**
     * Embeds every image and caption of a dataset and evaluates retrieval.
     *
     * @param extractor the model; its {@code embedImage}/{@code embedText} are used
     * @param dataset the images and captions
     * @param ks the cut-offs, e.g. 1, 5, 10 (the default when none are given)
     * @return the result
     */
    public static Result evaluate(FeatureExtractor extractor, CaptionDataset dataset, int... ks) {
        if (extractor == null || dataset == null) {
            throw new InvalidArgumentException("extractor and dataset must not be null");
        }
        List<Features> images = new ArrayList<>();
        List<Features> texts = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (CaptionDataset.Image image : dataset.images()) {
            images.add(extractor.embedImage(ImageInput.of(image.file())));
            for (String caption : image.captions()) {
                texts.add(extractor.embedText(caption));
                owner.add(images.size() - 1);
            }
        }
        return evaluate(images, texts, owner.stream().mapToInt(Integer::intValue).toArray(), ks);
    }

    /**
     * Evaluates retrieval on vectors computed already.
     *
     * @param images per image, its vectors, shape {@code (vectors, dim)}
     * @param texts per caption, its vector, shape {@code (1, dim)}
     * @param imageOfText for each caption, the index of its image in {@code images}
     * @param ks the cut-offs (default 1, 5, 10)
     * @return the result
     * @throws InvalidArgumentException if shapes or indices do not fit
     */
    public static Result evaluate(List<Features> images, List<Features> texts, int[] imageOfText, int... ks) {
        if (images == null || texts == null || imageOfText == null) {
            throw new InvalidArgumentException("images, texts and imageOfText must not be null");
        }
        if (images.isEmpty() || texts.isEmpty()) {
            throw new InvalidArgumentException(
                    "need at least one image and one text but got " + images.size() + " and " + texts.size());
        }
        if (imageOfText.length != texts.size()) {
            throw new InvalidArgumentException(
                    "imageOfText has " + imageOfText.length + " entries but there are " + texts.size() + " texts");
        }
        int[] cutoffs = ks == null || ks.length == 0 ? new int[] {1, 5, 10} : ks.clone();
        for (int k : cutoffs) {
            if (k < 1) {
                throw new InvalidArgumentException("every k must be at least 1 but got " + Arrays.toString(cutoffs));
            }
        }
        int dim = images.get(0).cols();
        int nImages = images.size();
        int nTexts = texts.size();
        float[][] imageData = new float[nImages][]; // per image (rows, dim)
        for (int i = 0; i < nImages; i++) {
            if (images.get(i).cols() != dim) {
                throw new InvalidArgumentException(
                        "image " + i + " has vectors of width " + images.get(i).cols() + " but image 0 has " + dim);
            }
            imageData[i] = images.get(i).data();
        }
        float[][] textData = new float[nTexts][]; // per text (dim)
        for (int t = 0; t < nTexts; t++) {
            Features f = texts.get(t);
            if (f.rows() != 1 || f.cols() != dim) {
                throw new InvalidArgumentException(
                        "text " + t + " has shape " + Arrays.toString(f.shape()) + " but must be (1, " + dim + ")");
            }
            int owner = imageOfText[t];
            if (owner < 0 || owner >= nImages) {
                throw new InvalidArgumentException(
                        "imageOfText[" + t + "] = " + owner + " is outside [0, " + nImages + ")");
            }
            textData[t] = f.data();
        }
        // the score of each caption with its own image, and each image's best own caption
        float[] own = new float[nTexts];
        float[] bestOwn = new float[nImages];
        int[] bestCaption = new int[nImages];
        Arrays.fill(bestCaption, -1);
        for (int t = 0; t < nTexts; t++) {
            int i = imageOfText[t];
            own[t] = score(imageData[i], textData[t]);
            if (bestCaption[i] < 0 || own[t] > bestOwn[i]) {
                bestOwn[i] = own[t];
                bestCaption[i] = t;
            }
        }
        // one pass over all pairs counts, per caption, images ahead of its image, and per image,
        // captions ahead of its best caption; ties go to the lower position
        int[] textRanks = new int[nTexts];
        int slices = Math.max(1, Math.min(nTexts, 4 * Runtime.getRuntime().availableProcessors()));
        int[][] partialImageRanks =
                IntStream.range(0, slices)
                        .parallel()
                        .mapToObj(
                                s -> {
                                    int[] ahead = new int[nImages];
                                    for (int t = s; t < nTexts; t += slices) {
                                        int mine = imageOfText[t];
                                        int rank = 0;
                                        for (int i = 0; i < nImages; i++) {
                                            float v = score(imageData[i], textData[t]);
                                            if (v > own[t] || (v == own[t] && i < mine)) {
                                                rank++;
                                            }
                                            int c = bestCaption[i];
                                            if (c >= 0 && (v > bestOwn[i] || (v == bestOwn[i] && t < c))) {
                                                ahead[i]++;
                                            }
                                        }
                                        textRanks[t] = rank;
                                    }
                                    return ahead;
                                })
                        .toArray(int[][]::new);
        int[] imageRanks = new int[nImages];
        int withCaptions = 0;
        for (int i = 0; i < nImages; i++) {
            if (bestCaption[i] < 0) {
                imageRanks[i] = -1;
                continue;
            }
            withCaptions++;
            for (int[] p : partialImageRanks) {
                imageRanks[i] += p[i];
            }
        }
        List<RecallAtK> recalls = new ArrayList<>();
        for (int k : cutoffs) {
            int t2i = 0;
            for (int r : textRanks) {
                t2i += r < k ? 1 : 0;
            }
            int i2t = 0;
            for (int r : imageRanks) {
                i2t += r >= 0 && r < k ? 1 : 0;
            }
            recalls.add(new RecallAtK(k, t2i / (double) nTexts, withCaptions == 0 ? 0 : i2t / (double) withCaptions));
        }
        return new Result(nImages, nTexts, recalls, textRanks, imageRanks);
    }

    /** The maximum over the rows of {@code image} of the dot product with {@code text}. */
    private static float score(float[] image, float[] text) {
        int dim = text.length;
        float best = Float.NEGATIVE_INFINITY;
        for (int off = 0; off < image.length; off += dim) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int j = 0;
            for (; j + 3 < dim; j += 4) {
                s0 += image[off + j] * text[j];
                s1 += image[off + j + 1] * text[j + 1];
                s2 += image[off + j + 2] * text[j + 2];
                s3 += image[off + j + 3] * text[j + 3];
            }
            for (; j < dim; j++) {
                s0 += image[off + j] * text[j];
            }
            best = Math.max(best, (s0 + s1) + (s2 + s3));
        }
        return best;
    }
}
