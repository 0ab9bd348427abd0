/**
 * The BLIP-2 / InstructBLIP Querying Transformer: a post-LayerNorm BERT encoder whose learned query rows
 * cross-attend to the vision encoder's output every {@code cross_attention_frequency} layers, with separate
 * feed-forward blocks for query rows and text rows.
 *
 * <p>One implementation serves the three Hugging Face layouts: {@code Blip2Model} (input LayerNorm
 * {@code qformer.layernorm}, no text), InstructBLIP ({@code qformer.embeddings.*} with its own LayerNorm) and
 * {@code Blip2ForImageTextRetrieval} (top-level {@code embeddings.*} without LayerNorm, then
 * {@code qformer.layernorm}). Weights belong to a model-level manager; forward passes allocate only in the
 * manager of their inputs.
 *
 * @since 0.1.0
 */
package org.vlalign.torch.internal.qformer;
