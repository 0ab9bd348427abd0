package org.vlalign.spi;

import org.vlalign.FeatureExtractor;
import org.vlalign.ImageInput;

/**
 * A {@link FeatureExtractor} that can say how its feature rows relate to the image's patches, so a composition
 * can map the language model's attention back onto the image ({@link org.vlalign.AttentionMap}). The BLIP-2 /
 * InstructBLIP Q-Former (through its cross-attention) and the CLIP tower as LLaVA uses it (rows are patches)
 * implement it.
 *
 * <p>Implementations are thread-safe.
 *
 * @since 0.2.0
 */
public interface AttendingFeatureExtractor extends FeatureExtractor {

    /**
     * Features of an image, as {@link #extract(ImageInput, String)} returns them, with their relation to the
     * patches.
     *
     * @param image the image
     * @param instruction the instruction, as for {@link #extract(ImageInput, String)}
     * @return the features and the row-to-patch weights
     * @throws org.vlalign.ImageDecodingException if the image cannot be decoded
     * @throws org.vlalign.UnsupportedModelException if this checkpoint's features cannot be related to patches
     */
    PatchAttention extractWithPatchAttention(ImageInput image, String instruction);
}
