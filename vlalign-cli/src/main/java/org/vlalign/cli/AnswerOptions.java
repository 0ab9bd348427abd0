package org.vlalign.cli;

import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import picocli.CommandLine.Mixin;
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
        Checked checked = check(spec);
        try (VlModel vl = model.load(spec.commandLine().getErr())) {
            AnswerPrinter printer =
                    new AnswerPrinter(spec.commandLine().getOut(), spec.commandLine().getErr(), stream);
            Answer answer = vl.ask(checked.input(), query, checked.config(), printer);
            printer.finish(answer);
        }
        return 0;
    }
}
