package org.vlalign.torch.internal;

import ai.djl.ndarray.types.Shape;

/**
 * The sizes every transformer encoder config of the families shares (CLIP text and vision towers, the
 * BLIP vision encoder, the Q-Former), with the widths derived from them; the config records implement it
 * through their components of the same names.
 *
 * <p>Implementations are immutable and thread-safe.
 *
 * @since 0.3.0
 */
public interface EncoderConfig {

    /**
     * The width of the encoder ({@code hidden_size}).
     *
     * @return the width
     */
    int hiddenSize();

    /**
     * The width of the feed-forward block ({@code intermediate_size}).
     *
     * @return the width
     */
    int intermediateSize();

    /**
     * The number of layers ({@code num_hidden_layers}).
     *
     * @return the number of layers
     */
    int numHiddenLayers();

    /**
     * The number of attention heads ({@code num_attention_heads}); it divides {@link #hiddenSize()}.
     *
     * @return the number of heads
     */
    int numAttentionHeads();

    /**
     * The width of one attention head.
     *
     * @return {@code hiddenSize / numAttentionHeads}
     */
    default int headDim() {
        return hiddenSize() / numAttentionHeads();
    }

    /**
     * An encoder over the square patches of a square image (a ViT).
     *
     * @since 0.3.0
     */
    interface Vision extends EncoderConfig {

        /**
         * The input resolution ({@code image_size}); a whole number of patches.
         *
         * @return the side in pixels
         */
        int imageSize();

        /**
         * The patch size ({@code patch_size}).
         *
         * @return the side in pixels
         */
        int patchSize();

        /**
         * The number of image channels ({@code num_channels}).
         *
         * @return the channels
         */
        int numChannels();

        /**
         * The number of patches per image.
         *
         * @return {@code (imageSize / patchSize)^2}
         */
        default int numPatches() {
            int side = imageSize() / patchSize();
            return side * side;
        }

        /**
         * Whether preprocessed pixel values of a shape are this encoder's input.
         *
         * @param pixels the shape of the pixel values
         * @return true for {@code (batch, numChannels, imageSize, imageSize)}
         */
        default boolean fitsPixels(Shape pixels) {
            return pixels.dimension() == 4
                    && pixels.get(1) == numChannels()
                    && pixels.get(2) == imageSize()
                    && pixels.get(3) == imageSize();
        }
    }
}
