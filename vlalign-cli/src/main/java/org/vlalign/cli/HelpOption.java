package org.vlalign.cli;

import picocli.CommandLine.Option;

/**
 * The {@code -h/--help} option of every subcommand (the version option stays on the root command).
 *
 * <p>Not thread-safe: it holds one parsed command line's value.
 *
 * @since 0.1.0
 */
public final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}
