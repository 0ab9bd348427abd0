/**
 * The public API of vlalign: the pipeline interfaces ({@link org.vlalign.FeatureExtractor},
 * {@link org.vlalign.Adaptor}, {@link org.vlalign.PromptWrapper}, {@link org.vlalign.LanguageModel},
 * {@link org.vlalign.ImageIndex}), the facade {@link org.vlalign.VlModel}, immutable value types and
 * the exception hierarchy rooted at {@link org.vlalign.VlalignException}.
 *
 * <p>Nothing here depends on an engine: values are plain Java ({@code float[]} plus a shape).
 *
 * @since 0.1.0
 */
package org.vlalign;
