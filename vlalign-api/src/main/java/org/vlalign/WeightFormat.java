package org.vlalign;

/**
 * The number format a language model's weights are kept and computed in, chosen when the model loads.
 *
 * <p>Batch-1 decoding reads every weight once per generated token, so its speed is the weights' size
 * divided by the memory bandwidth: 8-bit weights decode about four times faster than fp32 and let a 7B
 * model fit in 8 GB. Activations, the key/value cache, norms and the adaptor stay fp32 in every format.
 *
 * @since 0.2.0
 */
public enum WeightFormat {
    /** Chosen by model size: {@link #FP32} up to two billion parameters, {@link #Q8} above. */
    AUTO,
    /** 32-bit floats: exact, four bytes a weight. */
    FP32,
    /**
     * 16-bit floats as the checkpoint stores them (bf16 or fp16; fp32 checkpoints are rounded to bf16):
     * two bytes a weight, no quantisation error beyond the checkpoint's own.
     */
    BF16,
    /** 8-bit blocks: 32 signed bytes and one fp16 scale each (8.5 bits a weight). */
    Q8,
    /**
     * 4-bit blocks: 32 four-bit values and one fp16 scale each (4.5 bits a weight) in the decoder layers;
     * the embedding table and the output layer stay {@link #Q8}, where 4 bits cost most accuracy.
     */
    Q4
}
