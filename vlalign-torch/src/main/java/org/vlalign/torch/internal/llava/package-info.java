/**
 * LLaVA-1.5 ({@code LlavaForConditionalGeneration}): the CLIP vision tower read at an inner layer,
 * the two-layer GELU projector and a Llama language model, loaded from one Hugging Face checkpoint
 * folder ({@link org.vlalign.torch.internal.llava.LlavaModels#load(java.nio.file.Path)}).
 *
 * <p>The {@code <image>} placeholder of a prompt becomes the projected patch features: the prompt
 * wrapper places them as an embeddings segment, which is numerically what Hugging Face's {@code
 * masked_scatter} over the expanded image tokens computes; {@link
 * org.vlalign.torch.internal.llava.LlavaImageTokens} does the same for raw token prompts (expanded or legacy
 * single-token form).
 *
 * @since 0.1.0
 */
package org.vlalign.torch.internal.llava;
