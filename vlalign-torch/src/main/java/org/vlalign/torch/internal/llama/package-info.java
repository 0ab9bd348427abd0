/**
 * The Llama language model family on DJL PyTorch: config, weights, attention with rotary
 * embeddings and grouped-query attention, a per-session key/value cache, the {@link
 * org.vlalign.spi.Decoder} used by the generation strategies, and {@link
 * org.vlalign.torch.internal.llama.LlamaLanguageModel}, the public {@link org.vlalign.LanguageModel}.
 *
 * <p>Numerics follow Hugging Face transformers 4.45 {@code modeling_llama.py} in float32 eager mode
 * (checked against {@code shared/parity/llama}). Weights are immutable and shared between threads;
 * every generation opens its own session with its own cache.
 *
 * @since 0.1.0
 */
package org.vlalign.torch.internal.llama;
