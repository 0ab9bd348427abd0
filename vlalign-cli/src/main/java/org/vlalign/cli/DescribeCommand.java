package org.vlalign.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
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

    @Mixin AnswerOptions options;

    @Override
    public Integer call() {
        return options.askOnce(spec, "");
    }
}
