package org.vlalign.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

    @Mixin ModelOptions model;

    @Mixin ImageOption image;

    @Mixin GenerationOptions generation;

    @Option(
            names = "--stream",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Print the answer as it is generated (default: on; --no-stream prints it at the end).")
    boolean stream;

    @Parameters(arity = "1..*", paramLabel = "QUERY", description = "The question (several words are joined).")
    List<String> query;

    @Override
    public Integer call() {
        GenerationConfig config = generation.toConfig(spec);
        model.checkFolder();
        ImageInput input = image.input();
        try (VlModel vl = model.load(spec.commandLine().getErr())) {
            ask(spec, vl, input, String.join(" ", query), config, stream);
        }
        return 0;
    }

    static Answer ask(
            CommandSpec spec, VlModel vl, ImageInput input, String query, GenerationConfig config, boolean stream) {
        AnswerPrinter printer =
                new AnswerPrinter(spec.commandLine().getOut(), spec.commandLine().getErr(), stream);
        Answer answer = vl.ask(input, query, config, printer);
        printer.finish(answer);
        return answer;
    }
}
