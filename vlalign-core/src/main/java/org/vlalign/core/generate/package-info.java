/**
 * Engine-free text generation over the {@link org.vlalign.spi.Decoder} SPI: greedy decoding,
 * sampling (temperature, top-k, top-p), beam search with Hugging Face {@code transformers} 4.45
 * bookkeeping, logits processors (repetition penalty, minimum new tokens), end-of-sequence ids,
 * stop strings and streaming detokenisation.
 *
 * <p>The entry point is {@link org.vlalign.core.generate.Generator#generate}. Nothing here touches a
 * tensor engine: a decoder hands out plain {@code float[][]} logits and the strategies work on
 * those, so every strategy is tested with a toy decoder.
 *
 * @since 0.1.0
 */
package org.vlalign.core.generate;
