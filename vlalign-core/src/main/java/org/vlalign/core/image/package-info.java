/**
 * Image decoding and preprocessing that reproduce the Hugging Face image processors bit for bit.
 *
 * <p>{@link org.vlalign.core.image.ImageDecoder} turns an {@link org.vlalign.ImageInput} into an
 * 8-bit RGB {@link org.vlalign.core.image.RgbImage} with {@code javax.imageio}, guarding against
 * corrupt files and decompression bombs and converting colour modes the way Pillow's {@code
 * convert('RGB')} does. {@link org.vlalign.core.image.ImagePreprocessor} reads a {@code
 * preprocessor_config.json} ({@code BlipImageProcessor} or {@code CLIPImageProcessor}) and produces
 * the channel-first float32 {@link org.vlalign.core.image.PixelValues} a vision encoder expects,
 * resampling exactly like Pillow 9's fixed-point {@code Image.resize}.
 *
 * <p>{@link org.vlalign.core.image.AttentionMaps} maps a language model's attention over an image's positions
 * onto its patches and draws an {@link org.vlalign.AttentionMap} as a heat map over the image.
 *
 * <p>Everything here is plain Java (no engine), immutable and thread-safe.
 *
 * @since 0.1.0
 */
package org.vlalign.core.image;
