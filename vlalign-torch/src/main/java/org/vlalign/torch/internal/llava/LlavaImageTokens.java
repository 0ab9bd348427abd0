package org.vlalign.torch.internal.llava;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.DecoderInput;

/**
 * Replaces the image tokens of a raw LLaVA token prompt by the projected image features, in order:
 * what transformers 4.45 does with {@code masked_scatter} for expanded prompts ({@code
 * image_seq_length} copies of the image token per image) and with {@code
 * _merge_input_ids_with_image_features} for legacy prompts (one image token per image). Both give the
 * same positions, so both become the same {@link DecoderInput}.
 *
 * <p>A run of image tokens of length 1 is one image in the legacy form; a run whose length is a
 * multiple of the number of feature rows is that many images in the expanded form. Anything else is
 * an error.
 *
 * <p>Immutable and thread-safe.
 *
 * @since 0.1.0
 */
public final class LlavaImageTokens {
    private final int imageTokenIndex;

    /**
     * A replacer for an image token id.
     *
     * @param imageTokenIndex {@code image_token_index} of the config
     */
    public LlavaImageTokens(int imageTokenIndex) {
        this.imageTokenIndex = imageTokenIndex;
    }

    /**
     * The image token id.
     *
     * @return the id
     */
    public int imageTokenIndex() {
        return imageTokenIndex;
    }

    /**
     * Splits one row into token parts and image-feature parts.
     *
     * @param ids the row's ids, without padding
     * @param images the projected features of each image of this row, in order, each {@code
     *     (positions, hidden)}
     * @return the decoder input
     * @throws InvalidArgumentException if the image tokens do not match the images
     */
    public DecoderInput toDecoderInput(long[] ids, List<Features> images) {
        List<DecoderInput.Part> parts = new ArrayList<>();
        int next = 0;
        int t = 0;
        List<Integer> text = new ArrayList<>();
        while (t < ids.length) {
            if (ids[t] != imageTokenIndex) {
                text.add(Math.toIntExact(ids[t]));
                t++;
                continue;
            }
            int end = endOfRun(ids, t);
            int run = end - t;
            if (next >= images.size()) {
                throw new InvalidArgumentException(
                        "the prompt has image tokens (id " + imageTokenIndex + ") at position " + t
                                + " but only " + images.size() + " image(s) were given");
            }
            int rows = images.get(next).rows();
            int count;
            if (run == 1) {
                count = 1; // legacy: one token stands for a whole image
            } else if (run % rows == 0) {
                count = run / rows; // expanded: rows tokens per image
            } else {
                throw new InvalidArgumentException(
                        "a run of " + run + " image tokens at position " + t + " is neither one token"
                                + " (legacy form) nor a multiple of the " + rows
                                + " positions of an image (expanded form); expand <image> to"
                                + " image_seq_length tokens or use a single one");
            }
            if (!text.isEmpty()) {
                parts.add(new DecoderInput.Tokens(toInts(text)));
                text.clear();
            }
            for (int k = 0; k < count; k++) {
                if (next >= images.size()) {
                    throw new InvalidArgumentException(
                            "the prompt has more images in its image tokens than the " + images.size()
                                    + " given");
                }
                Features f = images.get(next++);
                if (f.rows() != rows) {
                    throw new InvalidArgumentException(
                            "image " + (next - 1) + " has " + f.rows() + " positions but image 0 has "
                                    + rows);
                }
                parts.add(new DecoderInput.Embeddings(f));
            }
            t = end;
        }
        if (!text.isEmpty()) {
            parts.add(new DecoderInput.Tokens(toInts(text)));
        }
        if (next != images.size()) {
            throw new InvalidArgumentException(
                    "the prompt's image tokens stand for " + next + " image(s) but " + images.size()
                            + " were given: " + Arrays.toString(Arrays.copyOf(ids, Math.min(ids.length, 32)))
                            + (ids.length > 32 ? "..." : ""));
        }
        return new DecoderInput(parts);
    }

    /**
     * How many images the image tokens of a row stand for: one per single-token run, {@code run /
     * positionsPerImage} per longer run.
     *
     * @param ids the row's ids
     * @param positionsPerImage the positions one image takes
     * @return the image count
     */
    public int imagesIn(long[] ids, int positionsPerImage) {
        int images = 0;
        int t = 0;
        while (t < ids.length) {
            if (ids[t] != imageTokenIndex) {
                t++;
                continue;
            }
            int end = endOfRun(ids, t);
            int run = end - t;
            images += run == 1 ? 1 : Math.max(1, run / positionsPerImage);
            t = end;
        }
        return images;
    }

    /**
     * Drops the positions whose attention mask is 0 (left padding) from a row.
     *
     * @param ids the padded row
     * @param attentionMask 1 for real tokens, 0 for padding
     * @return the real tokens in order
     */
    public static long[] unpad(long[] ids, long[] attentionMask) {
        if (ids.length != attentionMask.length) {
            throw new InvalidArgumentException(
                    "ids (" + ids.length + ") and attention mask (" + attentionMask.length
                            + ") differ in length");
        }
        return java.util.stream.IntStream.range(0, ids.length)
                .filter(i -> attentionMask[i] != 0)
                .mapToLong(i -> ids[i])
                .toArray();
    }

    /** The position after the run of image tokens that starts at {@code start}. */
    private int endOfRun(long[] ids, int start) {
        int end = start;
        while (end < ids.length && ids[end] == imageTokenIndex) {
            end++;
        }
        return end;
    }

    private static int[] toInts(List<Integer> list) {
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }
}
