package org.vlalign.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.train.FeatureSource;
import org.vlalign.core.train.TrainingExample;

/**
 * Training fixtures: a tiny Llama whose case-kept vocabulary holds the Llama-2 chat markers ({@code [INST]},
 * {@code [/INST]}) as whole words, synthetic image features that are a pure function of the image path, and
 * captions chosen by the image, so an adaptor must read the features to lower the loss.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class TrainingFixtures {
    /** The language model's width. */
    public static final int HIDDEN = 32;
    /** The width of the synthetic image features. */
    public static final int FEATURE_DIM = 16;
    /** The number of synthetic feature tokens per image. */
    public static final int IMAGE_TOKENS = 4;
    /** The vocabulary, token id = position. */
    public static final List<String> WORDS = List.of("<unk>", "<s>", "</s>", "[INST]", "[/INST]", "a", "an",
            "the", "red", "blue", "green", "yellow", "cat", "dog", "bird", "car", "on", "under", "near", "mat",
            "table", "tree", "road", "is", "what", "color", "sits", "runs", "flies", "big", "small", "two", "three",
            "of", "and", "photo", "with", "hat", "ball", "box");
    /** The id of {@code <s>}. */
    public static final int BOS = TinyLlama.BOS;
    /** The id of {@code </s>}. */
    public static final int EOS = TinyLlama.EOS;

    private TrainingFixtures() {}

    /**
     * Returns a word's token id.
     *
     * @param word a word of {@link #WORDS}
     * @return its id
     */
    public static int id(String word) {
        int i = WORDS.indexOf(word);
        if (i < 0) {
            throw new InvalidArgumentException(word + " is not in the fixture vocabulary");
        }
        return i;
    }

    /**
     * Writes the Llama folder: {@code config.json} (BOS and EOS named), {@code model.safetensors},
     * {@code tokenizer.json} and {@code tokenizer_config.json}; hidden 32, MLP 64, 2 layers, 4 heads, 2
     * key/value heads, 128 positions; the standard deviations the training tests' thresholds were tuned on.
     *
     * @param dir the folder (created)
     * @param seed the weight seed
     * @return {@code dir}
     */
    public static Path writeLlama(Path dir, long seed) {
        return TinyLlama.builder().sizes(WORDS.size(), HIDDEN, 64, 2, 4).kvHeads(2).maxPos(128).seed(seed)
                .stds(0.25, 0.18, 0.125, 0.35).specialTokenIds()
                .tokenizer(WordLevelTokenizer.of(WORDS).specials(0, 1, 2).whitespaceOnly()).write(dir);
    }

    /**
     * Returns the synthetic extractor output of an image path: {@code (IMAGE_TOKENS, FEATURE_DIM)} values
     * {@code N(0, 1)} seeded by the path.
     *
     * @param image the path
     * @return the features
     */
    public static Features featuresOf(Path image) {
        Random r = new Random(image.toString().hashCode() * 31L + 7);
        float[] v = new float[IMAGE_TOKENS * FEATURE_DIM];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Features.of(v, IMAGE_TOKENS, FEATURE_DIM);
    }

    /** @return a feature source over {@link #featuresOf(Path)} */
    public static FeatureSource features() {
        return e -> featuresOf(e.image());
    }

    /**
     * Returns a captioning example of an image under {@code /images}.
     *
     * @param image the file name
     * @param caption the caption
     * @return the example
     */
    public static TrainingExample caption(String image, String caption) {
        return TrainingExample.caption(Path.of("/images", image), caption);
    }

    /**
     * Returns {@code copies} rounds of captions for images {@code img0.jpg …}: image i gets words chosen by i.
     *
     * @param images how many images
     * @param copies how many rounds
     * @return the examples, image order within each round
     */
    public static List<TrainingExample> generated(int images, int copies) {
        String[] colors = {"red", "blue", "green", "yellow"};
        String[] things = {"cat", "dog", "bird", "car"};
        String[] places = {"mat", "table", "tree", "road"};
        List<TrainingExample> out = new ArrayList<>();
        for (int c = 0; c < copies; c++) {
            for (int i = 0; i < images; i++) {
                out.add(caption("img" + i + ".jpg",
                        "a " + colors[i % 4] + " " + things[(i / 4 + i) % 4] + " on the " + places[(i + 2) % 4]));
            }
        }
        return out;
    }
}
