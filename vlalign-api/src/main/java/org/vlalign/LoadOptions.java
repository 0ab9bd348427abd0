package org.vlalign;

import java.nio.file.Path;

/**
 * How a model loads: the language model's weight format and threads, a LoRA adapter to merge, a cache of
 * encoded weights, or a trainable language model.
 *
 * <p>Immutable and thread-safe.
 *
 * <pre>{@code
 * try (VlModel model = VlModel.load(Path.of("llava-1.5-7b-hf"),
 *         LoadOptions.builder().weights(WeightFormat.Q8).threads(4).build())) { ... }
 * }</pre>
 *
 * @param weights the language model's weight format; {@link WeightFormat#AUTO} chooses by model size
 * @param threads threads per forward pass, 0 for the default (the available cores, at most 16); with the
 *     torch engine on the class path it also sets libtorch's intra-op threads for the whole JVM
 * @param lora a LoRA adapter folder (PEFT layout) merged into the language model while it loads, or null
 * @param cacheWeights keep the language model's encoded weights in a cache file beside the checkpoint and
 *     reuse them (later loads in the same format take seconds), for the disk space of those weights
 * @param trainable load the language model as a differentiable fp32 model on libtorch, for training
 *     adaptors through it; it generates more slowly and takes {@link WeightFormat#FP32} weights only
 * @since 0.2.0
 */
public record LoadOptions(WeightFormat weights, int threads, Path lora, boolean cacheWeights, boolean trainable) {
    /** AUTO weights, default threads, no adapter, no cache, inference. */
    public static final LoadOptions DEFAULT = new LoadOptions(WeightFormat.AUTO, 0, null, false, false);

    /** Validates. */
    public LoadOptions {
        Checks.checkNotNull(weights, "weights");
        Checks.checkArgument(threads >= 0 && threads <= 1024, "threads must be 0 (default) or 1..1024 but is %s",
                threads);
        Checks.checkArgument(!trainable || weights == WeightFormat.AUTO || weights == WeightFormat.FP32,
                "a trainable language model computes in fp32; weights %s cannot be trained (use FP32 or AUTO)",
                weights);
        Checks.checkArgument(!trainable || lora == null,
                "a trainable language model loads without merging an adapter (lora %s); train on the base weights",
                lora);
    }

    /**
     * A builder starting from {@link #DEFAULT}.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder(DEFAULT);
    }

    /**
     * A builder starting from these options.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds {@link LoadOptions}. Not thread-safe. */
    public static final class Builder {
        private WeightFormat weights;
        private int threads;
        private Path lora;
        private boolean cacheWeights;
        private boolean trainable;

        private Builder(LoadOptions from) {
            this.weights = from.weights;
            this.threads = from.threads;
            this.lora = from.lora;
            this.cacheWeights = from.cacheWeights;
            this.trainable = from.trainable;
        }

        /**
         * The weight format.
         *
         * @param weights the format
         * @return this builder
         */
        public Builder weights(WeightFormat weights) {
            this.weights = weights;
            return this;
        }

        /**
         * Threads per forward pass.
         *
         * @param threads 0 for the default
         * @return this builder
         */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        /**
         * A LoRA adapter to merge.
         *
         * @param adapterDir the adapter folder, or null for none
         * @return this builder
         */
        public Builder lora(Path adapterDir) {
            this.lora = adapterDir;
            return this;
        }

        /**
         * Whether to cache encoded weights beside the checkpoint.
         *
         * @param cacheWeights true to cache
         * @return this builder
         */
        public Builder cacheWeights(boolean cacheWeights) {
            this.cacheWeights = cacheWeights;
            return this;
        }

        /**
         * Whether the language model must be trainable (libtorch, fp32).
         *
         * @param trainable true for training
         * @return this builder
         */
        public Builder trainable(boolean trainable) {
            this.trainable = trainable;
            return this;
        }

        /**
         * The options.
         *
         * @return the options
         * @throws InvalidArgumentException if they contradict each other
         */
        public LoadOptions build() {
            return new LoadOptions(weights, threads, lora, cacheWeights, trainable);
        }
    }
}
