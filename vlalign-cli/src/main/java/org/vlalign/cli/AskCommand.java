package org.vlalign.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
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
        footer = {"", "Examples:", "  vlalign ask -m models/instructblip -i cat.jpg \"What is on the table?\"",
            "  vlalign ask -i shapes.png --attention-map where.png \"What colour is the square?\""})
final class AskCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin AnswerOptions options;

    @Option(
            names = "--attention-map",
            paramLabel = "FILE.png",
            description = {"Also write a heat map of where the answer looked in the image (the language model's",
                "attention mapped onto the image's patches, averaged over layers, heads and the answer's tokens)",
                "as a PNG over the image. Greedy or sampling only; models that cannot produce one say so."})
    Path attentionMap;

    @Parameters(arity = "1..*", paramLabel = "QUERY", description = "The question (several words are joined).")
    List<String> query;

    @Override
    public Integer call() {
        return options.askOnce(spec, String.join(" ", query), attentionMap);
    }
}
