package org.vlalign.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.Answer;
import org.vlalign.AttentionMap;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.image.AttentionMaps;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The options of the commands that answer about one image ({@code ask}, {@code describe}, {@code chat}): the
 * model, the image, how to generate, and whether answers stream.
 *
 * <p>Not thread-safe: it holds one parsed command line's values.
 *
 * @since 0.3.0
 */
final class AnswerOptions {

    @Mixin ModelOptions model;

    @Mixin ImageOption image;

    @Mixin GenerationOptions generation;

    @Option(
            names = "--stream",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Print answers as they are generated (default: on; --no-stream prints each at the end).")
    boolean stream;

    /** The checked image and generation settings of one run. */
    record Checked(ImageInput input, GenerationConfig config) {}

    /**
     * Checks the options before any model loads: the generation settings (usage errors first), the model
     * folder, then the image.
     *
     * @param spec the command, for usage errors
     * @return the image and the generation settings
     */
    Checked check(CommandSpec spec) {
        GenerationConfig config = generation.toConfig(spec);
        model.checkFolder();
        return new Checked(image.input(), config);
    }

    /**
     * Loads the model, answers one query about the image, prints the answer and closes the model.
     *
     * @param spec the command, for its output streams and usage errors
     * @param query the question; empty for the model's default description prompt
     * @return the exit code
     */
    int askOnce(CommandSpec spec, String query) {
        return askOnce(spec, query, null);
    }

    /**
     * {@link #askOnce(CommandSpec, String)}, also writing the answer's attention map as a PNG heat map over the
     * image when {@code attentionMap} is not null.
     *
     * @param spec the command, for its output streams and usage errors
     * @param query the question
     * @param attentionMap the PNG to write, or null for none
     * @return the exit code
     * @since 0.2.0
     */
    int askOnce(CommandSpec spec, String query, Path attentionMap) {
        Checked checked = check(spec);
        GenerationConfig config = checked.config();
        if (attentionMap != null) {
            if (config.strategy() instanceof DecodingStrategy.Beam || config.numReturnSequences() != 1) {
                throw new ParameterException(spec.commandLine(), "--attention-map needs greedy decoding or sampling"
                        + " with one sequence; drop --beams (and --num-return-sequences)");
            }
            Path parent = attentionMap.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new ParameterException(spec.commandLine(), "--attention-map " + attentionMap + ": the folder "
                        + parent + " does not exist");
            }
            config = config.toBuilder().attentionMap(true).build();
        }
        try (VlModel vl = model.load(spec.commandLine().getErr())) {
            AnswerPrinter printer =
                    new AnswerPrinter(spec.commandLine().getOut(), spec.commandLine().getErr(), stream);
            Answer answer = vl.ask(checked.input(), query, config, printer);
            printer.finish(answer);
            if (attentionMap != null) {
                writeAttentionMap(answer, checked.input(), attentionMap);
                spec.commandLine().getErr().println("attention map: " + attentionMap);
            }
        }
        return 0;
    }

    private static void writeAttentionMap(Answer answer, ImageInput image, Path file) {
        AttentionMap map = answer.attentionMap().orElseThrow(() -> new VlalignException(
                "the model answered without the attention map it was asked for"));
        try {
            Files.write(file, AttentionMaps.renderPng(image, map, Integer.MAX_VALUE));
        } catch (IOException e) {
            throw new VlalignException("Could not write the attention map to " + file + ": " + e.getMessage(), e);
        }
    }
}
