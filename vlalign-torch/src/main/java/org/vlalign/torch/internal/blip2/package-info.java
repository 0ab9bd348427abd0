/**
 * BLIP-2 and InstructBLIP feature extraction: the composite configuration and {@link
 * org.vlalign.torch.internal.blip2.BlipFeatureExtractor}, which runs the vision encoder and the Q-Former and, for
 * retrieval checkpoints, the image-text contrastive projections and the image-text matching head.
 *
 * <p>Extractors own a model-level manager and are thread-safe; each call works in a sub-manager and only plain
 * Java leaves it.
 *
 * @since 0.1.0
 */
package org.vlalign.torch.internal.blip2;
