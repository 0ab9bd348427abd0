package org.vlalign.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.vlalign.Answer;
import org.vlalign.Checks;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.WeightFormat;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlmOptions;

/**
 * Batch-1 decode speed as a ratio against a peer engine measured in alternation with it: the model is loaded
 * once and warmed up, then each pair decodes {@code n} tokens here and immediately runs the peer's command,
 * which must print CSV with an {@code avg_ts} column (tokens per second; llama.cpp's {@code llama-bench -o csv}
 * does). The ratio of each pair is printed, then their median.
 *
 * <p>Why pairs: on a shared virtual machine the memory bandwidth that decode depends on drifts by 30–40% within
 * minutes, so two engines measured minutes apart (a JMH run, then the peer) compare the minutes as much as the
 * engines. A pair takes a few seconds, and the median over pairs is steady where single runs are not.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx3g -cp vlalign-bench/target/benchmarks.jar \
 *     org.vlalign.bench.PairedDecode /models/llama-134m q8 64 10 \
 *     llama-bench -m /models/llama-134m-q8_0.gguf -p 0 -n 64 -t 2 -r 1 -o csv
 * </pre>
 *
 * <p>Arguments: the Llama folder, the weight format, the tokens to decode per run (the peer's {@code -n} should
 * match), the number of pairs, then the peer's command. The prompt here is one token after BOS, so the context
 * grows from 2 as llama-bench's {@code tg} test grows from 0; decode speed is taken over the tokens after the
 * first, as {@code vlalign generate} reports it. Two threads, the weight cache on. Not for CI: it needs the
 * peer. Not thread-safe.
 *
 * @since 0.2.0
 */
public final class PairedDecode {
    private PairedDecode() {}

    /**
     * Runs the pairs.
     *
     * @param args folder, format, tokens, pairs, then the peer's command and its arguments
     * @throws IOException if the peer cannot be run
     * @throws InterruptedException if interrupted while waiting for the peer
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length < 5) {
            throw new InvalidArgumentException(
                    "usage: PairedDecode LLAMA_DIR fp32|bf16|q8|q4 TOKENS PAIRS PEER_COMMAND...");
        }
        Path dir = Path.of(args[0]);
        WeightFormat format = format(args[1]);
        int tokens = count("TOKENS", args[2], 2);
        int pairs = count("PAIRS", args[3], 1);
        List<String> peer = List.of(Arrays.copyOfRange(args, 4, args.length));
        double[] ratios = new double[pairs];
        try (Llama lm = Llama.load(dir, new LlmOptions(format, 2, null, true))) {
            Prompt prompt = Prompt.builder().bos().text("the").build();
            GenerationConfig config = GenerationConfig.builder().maxNewTokens(tokens).minNewTokens(tokens).build();
            for (int i = 0; i < 2; i++) {
                decodeRate(lm, prompt, config); // the JIT's warm-up, as llama-bench runs one itself
            }
            for (int i = 0; i < pairs; i++) {
                double ours = decodeRate(lm, prompt, config);
                double theirs = peerRate(peer);
                ratios[i] = ours / theirs;
                System.out.printf(Locale.ROOT, "pair %d: vlalign %.2f tok/s, peer %.2f tok/s, ratio %.3f%n", i + 1,
                        ours, theirs, ratios[i]);
            }
        }
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "%s %s: median ratio %.3f over %d pairs (min %.3f, max %.3f)%n", dir,
                format.name().toLowerCase(Locale.ROOT), median(sorted), pairs, sorted[0], sorted[pairs - 1]);
    }

    /** A whole number of at least {@code min}, or an {@link InvalidArgumentException} naming the argument. */
    static int count(String what, String value, int min) {
        int n;
        try {
            n = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new InvalidArgumentException(what + " must be a whole number, not '" + value + "'", e);
        }
        Checks.checkArgument(n >= min, "%s must be at least %s but is %s", what, min, n);
        return n;
    }

    private static WeightFormat format(String name) {
        try {
            return WeightFormat.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidArgumentException(
                    "'" + name + "' is not a weight format; use fp32, bf16, q8, q4 or auto", e);
        }
    }

    private static double decodeRate(Llama lm, Prompt prompt, GenerationConfig config) {
        Answer answer = lm.generate(prompt, config, piece -> { });
        return (answer.generatedTokens() - 1) / (answer.timings().decode().toNanos() / 1e9);
    }

    /**
     * Runs the peer once and reads its tokens per second. Its output goes to a file, so a peer that hangs
     * is stopped by the timeout instead of blocking a read.
     */
    private static double peerRate(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("vlalign-peer", ".csv");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("the peer command did not finish in 10 minutes: " + command);
            }
            if (p.exitValue() != 0) {
                throw new IOException("the peer command exited with " + p.exitValue() + ": " + command);
            }
            return avgTs(Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * The {@code avg_ts} of the first data row of CSV output (a header line, then rows; fields may be quoted).
     *
     * @param csv the peer's output
     * @return tokens per second
     */
    static double avgTs(String csv) {
        List<String> lines = new ArrayList<>();
        for (String line : csv.split("\\R")) {
            if (!line.isBlank()) {
                lines.add(line);
            }
        }
        if (lines.size() < 2) {
            throw new InvalidArgumentException("the peer printed no CSV row: " + csv.strip());
        }
        List<String> header = fields(lines.get(0));
        List<String> row = fields(lines.get(1));
        int column = header.indexOf("avg_ts");
        if (column < 0 || column >= row.size()) {
            throw new InvalidArgumentException("the peer's CSV has no avg_ts column: " + lines.get(0));
        }
        return Double.parseDouble(row.get(column));
    }

    /** A CSV line's fields, with the double quotes around a field removed (llama-bench quotes no commas). */
    private static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        for (String f : line.split(",", -1)) {
            String t = f.strip();
            out.add(t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t);
        }
        return Collections.unmodifiableList(out);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
