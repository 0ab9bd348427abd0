package org.vlalign.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign ask}: answers one question about an image, streaming the answer.
 *
 * <p>Not thread-safe: one instance per command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "ask",
        header = "Answer a question about an image, streaming the answer.",
        description = {
            "Answer a question about an image. The answer streams to standard output;",
            "a summary line (finish reason, token counts, timings) follows on standard",
            "error."
        },
        footer = {"", "Example:", "  vlalign ask -m models/instructblip -i cat.jpg \"What is on the table?\""})
final class AskCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin AnswerOptions options;

    @Parameters(arity = "1..*", paramLabel = "QUERY", description = "The question (several words are joined).")
    List<String> query;

    @Override
    public Integer call() {
        return options.askOnce(spec, String.join(" ", query));
    }
}
