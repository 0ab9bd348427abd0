package org.vlalign.cli;

import java.util.concurrent.Callable;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign describe}: describes an image, by asking with an empty query, which the model's prompt
 * template turns into its default description prompt.
 *
 * <p>Not thread-safe: one instance per command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "describe",
        header = "Describe an image with the model's default prompt.",
        description = {
            "Describe an image: ask with the model's default description prompt (an",
            "empty query). The description streams to standard output; a summary line",
            "follows on standard error."
        },
        footer = {"", "Example:", "  vlalign describe --model models/instructblip --image cat.jpg"})
final class DescribeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin ModelOptions model;

    @Mixin ImageOption image;

    @Mixin GenerationOptions generation;

    @Option(
            names = "--stream",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Print the description as it is generated (default: on).")
    boolean stream;

    @Override
    public Integer call() {
        GenerationConfig config = generation.toConfig(spec);
        model.checkFolder();
        ImageInput input = image.input();
        try (VlModel vl = model.load(spec.commandLine().getErr())) {
            AskCommand.ask(spec, vl, input, "", config, stream);
        }
        return 0;
    }
}
