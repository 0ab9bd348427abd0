/**
 * The engine-free composition of a vision-language model: {@link org.vlalign.core.ComposedVlModel}
 * joins a {@link org.vlalign.FeatureExtractor}, an {@link org.vlalign.Adaptor}, a {@link
 * org.vlalign.PromptWrapper}, a {@link org.vlalign.LanguageModel} and an {@link org.vlalign.ImageIndex}
 * into a {@link org.vlalign.VlModel}, and {@link org.vlalign.core.ComposedChat} holds a conversation
 * about one image.
 *
 * <p>Sub-packages hold the other engine-free parts: prompt templates ({@code prompt}), generation
 * strategies ({@code generate}), the embedded index ({@code index}), image decoding ({@code image})
 * and evaluation metrics ({@code metrics}).
 *
 * @since 0.1.0
 */
package org.vlalign.core;
