package org.vlalign.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vlalign.Answer;
import org.vlalign.CheckpointException;
import org.vlalign.GenerationConfig;
import org.vlalign.Prompt;
import org.vlalign.defaultmodel.DefaultModel;
import org.vlalign.llm.Llama;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign generate}: continues a text with a Llama-family language model, streaming, and ends with one
 * line of measurements: {@code load_s=… prefill_tok_s=… decode_tok_s=… peak_rss_mb=…}.
 *
 * <p>Not thread-safe: one instance per command-line run.
 *
 * @since 0.2.0
 */
@Command(
        name = "generate",
        header = "Continue a text with a Llama-family language model (no image), streaming.",
        description = {
            "Continue a text with a Llama-family language model: a LlamaForCausalLM folder",
            "(Llama 2/3, Vicuna, TinyLlama, ...) with config.json, *.safetensors and",
            "tokenizer.json. The text streams to standard output, then one line of",
            "measurements: load_s, prefill_tok_s, decode_tok_s and peak_rss_mb (the",
            "process's peak resident memory, Linux only; otherwise -1)."
        },
        footer = {"", "Examples:",
            "  vlalign generate -m models/Llama-2-7b-hf --weights q8 \"The capital of France is\"",
            "  vlalign generate --max-new-tokens 32 \"there is one shape.\"   (the default model's language model)"})
final class GenerateCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin WeightOptions weights;

    @Mixin GenerationOptions generation;

    @Option(
            names = {"-m", "--model"},
            paramLabel = "PATH",
            description = "A Llama-family checkpoint folder. Default: the embedded default model's language model.")
    Path model;

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "The text to continue (several words are joined).")
    List<String> text;

    @Override
    public Integer call() {
        GenerationConfig config = generation.toConfig(spec);
        Path dir = model != null ? model.toAbsolutePath().normalize() : DefaultModel.folder().resolve("llama");
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new CheckpointException(dir + " has no config.json; pass the folder of a Llama-family checkpoint"
                    + " (config.json, *.safetensors, tokenizer.json)");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        err.println("Loading " + dir + " ...");
        err.flush();
        long t0 = System.nanoTime();
        try (Llama lm = Llama.load(dir, weights.toLlmOptions())) {
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            err.println("Loaded " + lm + " in " + String.format(Locale.ROOT, "%.1f s", loadSeconds));
            err.flush();
            Prompt prompt = Prompt.builder().bos().text(String.join(" ", this.text)).build();
            Answer answer = lm.generate(prompt, config, piece -> {
                out.print(piece);
                out.flush();
            });
            out.println();
            out.println(summary(loadSeconds, answer));
            out.flush();
        }
        return 0;
    }

    /** The measurement line: prefill over the prompt, decode over the tokens after the first. */
    static String summary(double loadSeconds, Answer answer) {
        Duration prefill = answer.timings().prefill();
        Duration decode = answer.timings().decode();
        int decoded = Math.max(0, answer.generatedTokens() - 1);
        return String.format(Locale.ROOT, "load_s=%.2f prefill_tok_s=%.1f decode_tok_s=%.2f peak_rss_mb=%d",
                loadSeconds, rate(answer.promptTokens(), prefill), rate(decoded, decode), peakRssMb());
    }

    private static double rate(int tokens, Duration d) {
        return d.isZero() ? 0 : tokens / (d.toNanos() / 1e9);
    }

    /** VmHWM from /proc/self/status, in MB, or -1 where there is none. */
    static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
