/**
 * Entry points of the DJL PyTorch engine: {@link org.vlalign.torch.TorchModels#load(java.nio.file.Path)} turns
 * a Hugging Face checkpoint folder (InstructBLIP, BLIP-2, LLaVA-1.5, CLIP) into a ready {@link
 * org.vlalign.VlModel}, {@link org.vlalign.torch.TorchModels#builder()} composes the reference system (BLIP-2
 * Q-Former features, a trained linear adaptor, a Llama-2 chat model) or any custom pipeline, and {@link
 * org.vlalign.torch.TorchModelProvider} registers the engine with {@code VlModel.load} through
 * {@code ServiceLoader}.
 *
 * <p>Every class here is thread-safe; loaded models own their native memory and release it on close.
 *
 * @since 0.1.0
 */
package org.vlalign.torch;
