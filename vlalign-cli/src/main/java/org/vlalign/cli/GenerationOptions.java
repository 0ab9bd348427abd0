package org.vlalign.cli;

import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The generation options shared by {@code ask}, {@code chat} and {@code describe}, turned into a
 * {@link GenerationConfig}.
 *
 * <p>Greedy decoding is the default; {@code --beams N} (N &gt; 1) selects beam search; any of
 * {@code --temperature}, {@code --top-p}, {@code --top-k} selects sampling. Beams and sampling cannot be
 * combined. Not thread-safe: it holds one parsed command line's values.
 *
 * @since 0.1.0
 */
public final class GenerationOptions {

    @Option(names = "--beams", paramLabel = "N", description = "Beam search with N beams (default: greedy).")
    Integer beams;

    @Option(
            names = "--temperature",
            paramLabel = "T",
            description = "Sample at temperature T > 0 (with --top-p/--top-k); reproducible with --seed.")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P", description = "Sample from the smallest set of tokens whose"
            + " probability reaches P, 0 < P <= 1.")
    Double topP;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample from the K most likely tokens (0: all).")
    Integer topK;

    @Option(
            names = "--max-new-tokens",
            paramLabel = "N",
            defaultValue = "128",
            description = "Generate at most N tokens (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--seed", paramLabel = "S", description = "Seed for sampling.")
    Long seed;

    /**
     * The configuration these options describe.
     *
     * @param spec the command, for usage errors
     * @return the configuration
     * @throws ParameterException (exit code 2) if the values are invalid or contradict each other
     */
    GenerationConfig toConfig(CommandSpec spec) {
        boolean sampling = temperature != null || topP != null || topK != null;
        if (sampling && beams != null && beams > 1) {
            throw new ParameterException(spec.commandLine(), "--beams cannot be combined with --temperature,"
                    + " --top-p or --top-k: choose beam search or sampling.");
        }
        if (seed != null && !sampling) {
            throw new ParameterException(spec.commandLine(), "--seed only affects sampling: add --temperature"
                    + " (and optionally --top-p/--top-k), or drop --seed.");
        }
        try {
            DecodingStrategy strategy;
            if (sampling) {
                strategy = new DecodingStrategy.Sampling(
                        temperature == null ? 1.0 : temperature, topK == null ? 0 : topK, topP == null ? 1.0 : topP);
            } else if (beams != null) {
                strategy = beams == 1 ? new DecodingStrategy.Greedy() : DecodingStrategy.Beam.of(beams);
            } else {
                strategy = new DecodingStrategy.Greedy();
            }
            GenerationConfig.Builder b = GenerationConfig.builder().strategy(strategy).maxNewTokens(maxNewTokens);
            if (seed != null) {
                b.seed(seed);
            }
            return b.build();
        } catch (InvalidArgumentException e) {
            throw new ParameterException(spec.commandLine(), "Invalid generation option: " + e.getMessage(), e);
        }
    }
}
