/**
 * InstructBLIP (and BLIP-2 with a Llama language model) as one model: the instruction-aware feature
 * extractor, the {@code language_projection} adaptor and the Llama decoder, with the Hugging Face layout of
 * inputs ({@code [projected queries ; token embeddings]}) for forward passes and greedy generation, and the
 * loader that turns a checkpoint folder into the parts of a {@link org.vlalign.VlModel}.
 *
 * <p>Models own their parts' native memory and are thread-safe; calls work in sub-managers.
 *
 * @since 0.1.0
 */
package org.vlalign.torch.internal.instructblip;
