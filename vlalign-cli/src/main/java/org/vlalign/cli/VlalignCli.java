package org.vlalign.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.vlalign.VlalignException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code vlalign} command-line tool: a demo of the embedded default model, ask about images, chat, index
 * folders and search them, serve a web demo, train and evaluate, and check the SDK against the Hugging Face
 * parity cases.
 *
 * <p>Exit codes: 0 on success, 1 when the work failed (a missing model, a corrupt image, a parity FAIL), 2
 * for usage errors (unknown options, missing or invalid arguments). Library failures print their message
 * only; {@code --verbose} adds the stack trace.
 *
 * <pre>{@code
 * vlalign demo
 * vlalign ask --model instructblip-vicuna-7b --image cat.jpg "What is on the table?"
 * vlalign index --model blip2-itm --index photos.idx ~/Pictures
 * vlalign search --model blip2-itm --index photos.idx -k 5 "a dog on a beach"
 * }</pre>
 *
 * <p>An instance is not thread-safe: it holds the state of one command-line run. Create one per run with
 * {@link #newCommandLine(InputStream)}.
 *
 * @since 0.1.0
 */
@Command(
        name = "vlalign",
        mixinStandardHelpOptions = true,
        versionProvider = VlalignCli.Version.class,
        description = {
            "Vision-language models in-process on the JVM: ask about images, chat,",
            "index folders of images and search them by text.",
            "",
            "Start with 'vlalign demo'. Without --model, commands use the embedded",
            "default model: a small model of a world of coloured shapes, with sample",
            "images. For real photos pass --model a Hugging Face checkpoint folder",
            "(config.json, *.safetensors, tokenizer.json)."
        },
        subcommands = {
            DemoCommand.class,
            AskCommand.class,
            ChatCommand.class,
            DescribeCommand.class,
            GenerateCommand.class,
            IndexCommand.class,
            SearchCommand.class,
            ServeCommand.class,
            ParityCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:failure (model, image, index, parity FAIL)", "2:usage error"})
public final class VlalignCli implements Callable<Integer> {

    /** Exit code for work that failed. */
    public static final int EXIT_FAILURE = 1;

    /** Exit code for usage errors. */
    public static final int EXIT_USAGE = 2;

    private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    private final InputStream in;

    @Spec private CommandSpec spec;

    @Option(
            names = "--verbose",
            scope = ScopeType.INHERIT,
            description = "Print the stack trace of a failure, and progress messages of the SDK.")
    boolean verbose;

    /**
     * Creates the root command reading interactive input from {@code in}.
     *
     * @param in the input that {@code chat} reads its questions from
     */
    public VlalignCli(InputStream in) {
        this.in = in;
    }

    /**
     * Runs the tool and exits the JVM with its exit code.
     *
     * @param args the command-line arguments
     */
    public static void main(String[] args) {
        // Before the first logger exists: --verbose shows the SDK's and DJL's progress messages too.
        if (List.of(args).contains("--verbose") && System.getProperty(LOG_LEVEL) == null) {
            System.setProperty(LOG_LEVEL, "info");
        }
        System.exit(newCommandLine(System.in).execute(args));
    }

    /**
     * A configured command line: usage errors exit 2, library failures print their message and exit 1.
     * Redirect its output with {@link CommandLine#setOut} and {@link CommandLine#setErr}.
     *
     * @param in the input that {@code chat} reads from
     * @return the command line, ready to {@link CommandLine#execute execute}
     */
    public static CommandLine newCommandLine(InputStream in) {
        CommandLine cl = new CommandLine(new VlalignCli(in));
        cl.setExecutionExceptionHandler(VlalignCli::handleFailure);
        cl.setParameterExceptionHandler(VlalignCli::handleUsageError);
        return cl;
    }

    /** The input that interactive commands read from. */
    InputStream in() {
        return in;
    }

    @Override
    public Integer call() {
        // No command given: a usage error; show what there is.
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    private static int handleFailure(Exception e, CommandLine cl, ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof CommandLine.ParameterException pe) {
            return handleUsageError(pe, new String[0]);
        }
        if (e instanceof VlalignException) {
            err.println(cl.getColorScheme().errorText("Error: " + e.getMessage()));
        } else {
            // Not a library failure: a bug here or in the SDK. Say so, with the type, so it can be reported.
            err.println(cl.getColorScheme().errorText(
                    "Unexpected error (" + e.getClass().getName() + "): " + e.getMessage()));
        }
        if (isVerbose(parsed)) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            err.print(trace);
        } else {
            err.println("(run with --verbose for the stack trace)");
        }
        err.flush();
        return EXIT_FAILURE;
    }

    /** An option of a parent command (e.g. the top-level --verbose), which is not a typo. */
    private static boolean isGlobalOption(CommandLine cl, String name) {
        for (CommandLine c = cl.getParent(); c != null; c = c.getParent()) {
            if (c.getCommandSpec().findOption(name) != null) {
                return true;
            }
        }
        return false;
    }

    /** The command's option name nearest to a typo (at most 2 edits away, or a prefix), or null. */
    static String closestOption(CommandLine.Model.CommandSpec spec, String typo) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (CommandLine.Model.OptionSpec option : spec.options()) {
            for (String name : option.names()) {
                int d = name.startsWith(typo) ? 1 : editDistance(typo, name);
                if (d < bestDistance && d <= 2) {
                    best = name;
                    bestDistance = d;
                }
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static int handleUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        if (e instanceof CommandLine.MissingParameterException) {
            // A mistyped option (--imag) is taken as a positional argument by a command that has some, and
            // picocli then reports the option it lacks; the typo is the user's real mistake, so say that.
            for (String arg : args) {
                String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
                if (name.startsWith("-") && name.length() > 1 && !Character.isDigit(name.charAt(1))
                        && cl.getCommandSpec().findOption(name) == null && !isGlobalOption(cl, name)) {
                    err.println(cl.getColorScheme().errorText("Error: Unknown option: '" + name + "'"));
                    String suggestion = closestOption(cl.getCommandSpec(), name);
                    err.println(suggestion == null ? "Run '" + cl.getCommandSpec().qualifiedName() + " --help' for"
                            + " usage." : "Did you mean: " + suggestion + "?");
                    err.flush();
                    return EXIT_USAGE;
                }
            }
        }
        // picocli's messages for option groups already start with "Error: ".
        String message = String.valueOf(e.getMessage());
        err.println(cl.getColorScheme().errorText(message.startsWith("Error: ") ? message : "Error: " + message));
        if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            err.println("Run '" + cl.getCommandSpec().qualifiedName() + " --help' for usage.");
        }
        err.flush();
        return EXIT_USAGE;
    }

    private static boolean isVerbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /** The version from the jar manifest ({@code dev} when run from classes). */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = VlalignCli.class.getPackage().getImplementationVersion();
            return new String[] {"vlalign " + (v == null ? "dev" : v),
                "Java " + System.getProperty("java.version") + ", " + System.getProperty("os.name")
                        + " " + System.getProperty("os.arch")};
        }
    }
}
