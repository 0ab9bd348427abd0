/**
 * CLIP in DJL: the vision tower ({@link org.vlalign.torch.internal.clip.ClipVisionModel}), the text encoder
 * ({@link org.vlalign.torch.internal.clip.ClipTextModel}) and the {@link org.vlalign.FeatureExtractor} built on
 * them ({@link org.vlalign.torch.internal.clip.ClipFeatureExtractor}): one normalised vector per image and per
 * text for search ({@code CLIPModel} checkpoints), or the patch features LLaVA-1.5 feeds its projector.
 *
 * <p>The computation follows Hugging Face {@code transformers} 4.45 {@code modeling_clip.py}; the
 * weights are read under the same key names, so a {@code CLIPModel} or a LLaVA checkpoint folder loads
 * as it is.
 *
 * @since 0.1.0
 */
package org.vlalign.torch.internal.clip;
