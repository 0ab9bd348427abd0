/**
 * Adaptors that map feature-extractor output into a language model's embedding space: {@link
 * org.vlalign.torch.internal.adaptor.LinearAdaptor} (InstructBLIP's {@code language_projection}, the reference
 * system's trained 768→4096 projection) and {@link org.vlalign.torch.internal.adaptor.MlpAdaptor} (LLaVA-1.5's
 * two-layer GELU projector).
 *
 * <p>Each adaptor owns a model-level manager holding its weights and is thread-safe; every call works in its
 * own sub-manager and returns plain Java values.
 *
 * @since 0.1.0
 */
package org.vlalign.torch.internal.adaptor;
