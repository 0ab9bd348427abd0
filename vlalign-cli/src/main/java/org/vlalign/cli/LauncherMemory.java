package org.vlalign.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.vlalign.WeightFormat;
import org.vlalign.core.checkpoint.BoundedFiles;
import org.vlalign.core.checkpoint.HfConfigs;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlamaConfig;

/**
 * The JVM memory options the {@code vlalign} launcher starts the tool with: a heap sized from the model a
 * command runs, found before that JVM starts by a short-lived one running this class.
 *
 * <p>The weights of a language model live on the Java heap. With the JVM's default of a share of RAM, the
 * collector grows a heap far larger than the model needs with garbage: a 7B model in q8 (7.2 GB of weights)
 * reached 9.8 GB resident with {@code -XX:MaxRAMPercentage=75} on a 24 GB machine, and 8.1 GB with a heap of
 * 9 GB and a young generation capped at 256 MB. So for the commands that run one language model ({@code ask},
 * {@code chat}, {@code describe}, {@code generate}, {@code eval}) with {@code --model} (or {@code --lm}) naming
 * a Llama-family folder (Llama, or LLaVA and InstructBLIP with a Llama {@code text_config}), the heap is
 * {@link Llama#heapBytes} for the chosen {@code --weights}, at least 1 GB and at most 90% of RAM, and the young
 * generation is capped. Every other command, and any folder it cannot read, keeps {@value #DEFAULT}.
 * {@code VLALIGN_JAVA_OPTS} replaces the whole choice.
 *
 * <p>Stateless and thread-safe.
 */
final class LauncherMemory {
    /** The options when the model is not known: three quarters of RAM, as before. */
    static final String DEFAULT = "-XX:MaxRAMPercentage=75";
    /** The young generation's cap: decoding allocates little, and every page of young space becomes resident. */
    static final String YOUNG = "-XX:MaxNewSize=256m";
    private static final long MIN_HEAP = 1L << 30;
    private static final Set<String> SIZED_COMMANDS = Set.of("ask", "chat", "describe", "generate", "eval");

    private LauncherMemory() {}

    /**
     * Prints the options for a command line on one line.
     *
     * @param args the arguments the tool will get
     */
    public static void main(String[] args) {
        System.out.println(options(List.of(args), physicalMemory()));
    }

    /**
     * The options for a command line.
     *
     * @param args the tool's arguments
     * @param ramBytes the machine's physical memory, or 0 if unknown
     * @return JVM options separated by spaces
     */
    static String options(List<String> args, long ramBytes) {
        Optional<String> command = args.stream().filter(a -> !a.startsWith("-")).findFirst();
        if (command.isEmpty() || !SIZED_COMMANDS.contains(command.get()) || ramBytes <= 0) {
            return DEFAULT;
        }
        Optional<String> folder = value(args, "--model", "-m").or(() -> value(args, "--lm"));
        Optional<LlamaConfig> config = folder.flatMap(f -> llamaConfig(Path.of(f)));
        if (config.isEmpty()) {
            return DEFAULT;
        }
        WeightFormat weights;
        try {
            weights = value(args, "--weights").map(w -> WeightFormat.valueOf(w.toUpperCase(Locale.ROOT)))
                    .orElse(WeightFormat.AUTO);
        } catch (IllegalArgumentException e) {
            return DEFAULT; // the tool itself reports the bad value
        }
        long heap = Math.max(MIN_HEAP, Math.min(Llama.heapBytes(config.get(), weights), ramBytes / 10 * 9));
        return "-Xmx" + (heap >> 20) + "m " + YOUNG;
    }

    /** The value of the first of the options given as {@code --name value} or {@code --name=value}. */
    static Optional<String> value(List<String> args, String... names) {
        for (int i = 0; i < args.size(); i++) {
            for (String name : names) {
                if (args.get(i).equals(name) && i + 1 < args.size()) {
                    return Optional.of(args.get(i + 1));
                }
                if (name.startsWith("--") && args.get(i).startsWith(name + "=")) {
                    return Optional.of(args.get(i).substring(name.length() + 1));
                }
            }
        }
        return Optional.empty();
    }

    /** The Llama text config of a folder: the whole config, or a Llama {@code text_config} inside it. */
    static Optional<LlamaConfig> llamaConfig(Path folder) {
        Path file = folder.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            JsonElement root = JsonParser.parseString(BoundedFiles.readString(file, BoundedFiles.MAX_CONFIG_BYTES));
            if (!root.isJsonObject()) {
                return Optional.empty();
            }
            JsonObject c = root.getAsJsonObject();
            if (!isLlama(c) && c.has("text_config") && c.get("text_config").isJsonObject()) {
                c = c.getAsJsonObject("text_config");
            }
            return isLlama(c) ? Optional.of(LlamaConfig.fromJson(c)) : Optional.empty();
        } catch (RuntimeException e) {
            return Optional.empty(); // the tool itself reports an unreadable or oversized folder
        }
    }

    private static boolean isLlama(JsonObject c) {
        return "llama".equals(HfConfigs.getString(c, "model_type", ""));
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }
}
