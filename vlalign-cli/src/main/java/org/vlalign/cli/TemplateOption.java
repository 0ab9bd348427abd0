package org.vlalign.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code --template} option of {@code train} and {@code eval vqa}: the prompt template an adaptor is
 * trained or evaluated with, checked against the known templates before any model loads.
 *
 * <p>Not thread-safe: it holds one parsed command line's value.
 *
 * @since 0.3.0
 */
final class TemplateOption {
    @Spec(Spec.Target.MIXEE) CommandSpec spec;

    @Option(names = "--template", paramLabel = "NAME", description = "Prompt template: " + ModelParts.TEMPLATES
            + " (default: the model's own; llama-2-chat with --vision/--lm). Evaluate with the one the adaptor"
            + " was trained with.")
    String name;

    /** Fails with a usage error if the name is no known template. */
    void check() {
        if (name != null && ModelParts.templateName(name) == null) {
            throw new ParameterException(spec.commandLine(),
                    "unknown --template '" + name + "'; use one of " + ModelParts.TEMPLATES);
        }
    }
}
