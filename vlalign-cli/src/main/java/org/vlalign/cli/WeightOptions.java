package org.vlalign.cli;

import java.nio.file.Path;
import java.util.Locale;
import org.vlalign.LoadOptions;
import org.vlalign.WeightFormat;
import org.vlalign.llm.LlmOptions;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/**
 * The {@code --weights}, {@code --threads} and {@code --lora} options: the language model's weight format, the
 * threads a forward pass uses, and a LoRA adapter merged at load.
 *
 * <p>Not thread-safe: it holds one parsed command line's values.
 *
 * @since 0.2.0
 */
public final class WeightOptions {

    @Option(
            names = "--weights",
            paramLabel = "FORMAT",
            defaultValue = "auto",
            converter = FormatConverter.class,
            description = {
                "The language model's weight format: fp32, bf16 (16 bits as stored), q8 (8-bit blocks),",
                "q4 (4-bit blocks) or auto (fp32 up to 2B parameters, q8 above; default)."
            })
    WeightFormat weights = WeightFormat.AUTO;

    @Option(
            names = "--threads",
            paramLabel = "N",
            defaultValue = "0",
            description = "Threads per forward pass (default: the available cores, at most 16).")
    int threads;

    @Option(
            names = "--lora",
            paramLabel = "DIR",
            description = "A LoRA adapter folder (PEFT layout: adapter_config.json, adapter_model.safetensors) to"
                    + " merge into the language model while it loads.")
    Path lora;

    @Option(
            names = "--cache-weights",
            description = "Keep the encoded weights beside the checkpoint (.vlalign-cache/) and reuse them: later"
                    + " loads in the same format take seconds. Costs the disk space of the weights in that format.")
    boolean cacheWeights;

    /**
     * The options for loading a model through the public API.
     *
     * @return the load options
     */
    LoadOptions toLoadOptions() {
        return LoadOptions.builder().weights(weights).threads(threads)
                .lora(lora == null ? null : lora.toAbsolutePath().normalize()).cacheWeights(cacheWeights).build();
    }

    /**
     * The options for the JVM language-model engine.
     *
     * @return the options
     */
    LlmOptions toLlmOptions() {
        return new LlmOptions(weights, threads, lora == null ? null : lora.toAbsolutePath().normalize(), cacheWeights);
    }

    /** Parses fp32, bf16, q8, q4, auto (any case). */
    static final class FormatConverter implements ITypeConverter<WeightFormat> {
        @Override
        public WeightFormat convert(String value) {
            try {
                return WeightFormat.valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + value + "' is not a weight format; use fp32, bf16, q8, q4 or"
                        + " auto");
            }
        }
    }
}
