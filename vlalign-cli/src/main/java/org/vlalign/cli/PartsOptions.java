package org.vlalign.cli;

import org.vlalign.defaultmodel.DefaultModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import org.vlalign.LoadOptions;
import org.vlalign.defaultmodel.DefaultModel;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The model options of {@code train} and {@code eval vqa}: either {@code --model} (a composed checkpoint whose
 * feature extractor and language model are used) or {@code --vision} and {@code --lm} (the reference system's
 * separate BLIP-2 and Llama folders).
 *
 * <p>Not thread-safe: it holds one parsed command line's values.
 *
 * @since 0.1.0
 */
public final class PartsOptions {

    @Option(names = {"-m", "--model"}, paramLabel = "PATH", description = {
        "A composed checkpoint folder (InstructBLIP, BLIP-2 with Llama, LLaVA) whose feature extractor and"
                + " language model are used; or give --vision and --lm.",
        "Required unless --vision and --lm are given; eval vqa given none of the three evaluates the embedded"
                + " default model."})
    Path model;

    @Option(names = "--vision", paramLabel = "PATH",
            description = "Feature-extractor checkpoint folder (BLIP-2, InstructBLIP, CLIP); with --lm.")
    Path vision;

    @Option(names = "--lm", paramLabel = "PATH",
            description = "Llama checkpoint folder with tokenizer.json; with --vision.")
    Path lm;

    /**
     * Checks that exactly one of the two ways to name the model was used.
     *
     * @param spec the command, for the usage error
     * @throws ParameterException if not
     */
    void check(CommandSpec spec) {
        check(spec, false);
    }

    /**
     * Checks that at most one of the two ways to name the model was used, and that one was unless the
     * command falls back to the embedded default model.
     *
     * @param spec the command, for the usage error
     * @param defaultModelAllowed whether no model options at all means the embedded default model
     * @throws ParameterException if the options contradict each other or name no model where one is needed
     */
    void check(CommandSpec spec, boolean defaultModelAllowed) {
        if (defaultModelAllowed && usesDefault()) {
            return;
        }
        if (model != null && (vision != null || lm != null)) {
            throw new ParameterException(spec.commandLine(), "--model cannot be combined with --vision/--lm: pass"
                    + " either a composed checkpoint (--model) or its two parts (--vision and --lm).");
        }
        if (model == null && (vision == null || lm == null)) {
            throw new ParameterException(spec.commandLine(), vision == null && lm == null
                    ? "Missing the model: pass --model PATH (a composed checkpoint such as InstructBLIP or LLaVA),"
                            + " or --vision PATH and --lm PATH."
                    : "--vision and --lm go together: pass both (the feature extractor and the Llama folder).");
        }
    }

    /** Whether the parts come from two folders rather than a composed checkpoint. */
    boolean separate() {
        return model == null && !usesDefault();
    }

    /** Whether no model option was given, so (where allowed) the embedded default model is used. */
    boolean usesDefault() {
        return model == null && vision == null && lm == null;
    }

    /**
     * Loads the parts; call {@link #check} first.
     *
     * @param err where loading progress goes
     * @param options how the language model loads ({@code train} asks for a trainable one)
     * @return the parts; close them
     */
    ModelParts load(PrintWriter err, LoadOptions options) {
        if (usesDefault()) {
            err.println(ModelOptions.DEFAULT_MODEL_NOTICE);
            return ModelParts.load(DefaultModel.folder(), null, null, err, options);
        }
        return ModelParts.load(model, vision, lm, err, options);
    }
}
