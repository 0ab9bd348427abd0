package org.vlalign.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.vlalign.Answer;
import org.vlalign.Chat;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign chat}: a conversation about one image, one question per input line.
 *
 * <p>The image's features are computed once for the whole conversation ({@link VlModel#newChat}). The
 * prompt and banner go to standard error, the answers to standard output. Not thread-safe: one instance per
 * command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "chat",
        header = "Chat about one image, one question per input line.",
        description = {
            "Chat about one image: type a question per line; the model sees the earlier",
            "turns. Type /quit (or end the input) to leave. Answers stream to standard",
            "output."
        },
        footer = {"", "Example:", "  vlalign chat --model models/llava-1.5-7b --image kitchen.jpg"})
final class ChatCommand implements Callable<Integer> {

    /** The command that ends the conversation. */
    static final String QUIT = "/quit";

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @ParentCommand VlalignCli root;

    @Mixin AnswerOptions options;

    @Option(names = "--system", paramLabel = "TEXT", description = "A system prompt (default: the template's).")
    String system;

    @Override
    public Integer call() {
        AnswerOptions.Checked checked = options.check(spec);
        ImageInput input = checked.input();
        GenerationConfig config = checked.config();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BufferedReader lines = new BufferedReader(new InputStreamReader(root.in(), StandardCharsets.UTF_8));
        try (VlModel vl = options.model.load(err)) {
            Chat chat = vl.newChat(input, system == null ? "" : system);
            err.println("Chatting about " + input.description() + ". Ask a question per line; " + QUIT
                    + " to leave.");
            while (true) {
                err.print("> ");
                err.flush();
                String line = lines.readLine();
                if (line == null) {
                    // End of input (Ctrl-D, or the end of a piped file): end the prompt's line.
                    err.println();
                    err.flush();
                    break;
                }
                if (line.strip().equals(QUIT) || line.strip().equals("/exit")) {
                    break;
                }
                if (line.isBlank()) {
                    continue;
                }
                AnswerPrinter printer = new AnswerPrinter(out, err, options.stream);
                try {
                    Answer answer = chat.send(line.strip(), config, printer);
                    printer.finish(answer);
                } catch (InvalidArgumentException e) {
                    // A question the model cannot take (e.g. the context is full): say so and keep the chat.
                    out.println();
                    out.flush();
                    err.println("Error: " + e.getMessage());
                    err.flush();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the chat input", e);
        }
        return 0;
    }
}
