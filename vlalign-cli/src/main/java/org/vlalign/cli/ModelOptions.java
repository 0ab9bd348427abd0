package org.vlalign.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.CheckpointException;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.defaultmodel.DefaultModel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code --model} option and model loading through the public API ({@link VlModel#load(Path)}). Without
 * {@code --model}, the embedded default model ({@link DefaultModel#folder()}) is used, and loading says so on
 * standard error.
 *
 * <p>Not thread-safe: it holds one parsed command line's value.
 *
 * @since 0.1.0
 */
public final class ModelOptions {

    /** The line printed on standard error when the embedded default model stands in for {@code --model}. */
    static final String DEFAULT_MODEL_NOTICE =
            "Using the embedded default model (shapes world; --model PATH for a real checkpoint)";

    @Option(
            names = {"-m", "--model"},
            paramLabel = "PATH",
            description = {
                "Checkpoint folder in Hugging Face layout (config.json, *.safetensors,"
                        + " tokenizer.json): InstructBLIP, BLIP-2, LLaVA-1.5 or CLIP.",
                "Default: the embedded default model, a small model of a world of coloured"
                        + " shapes that knows nothing else."
            })
    Path model;

    @Mixin WeightOptions weights = new WeightOptions();

    /** Whether no {@code --model} was given, so the embedded default model is used. */
    boolean usesDefault() {
        return model == null;
    }

    /**
     * The option as it would be typed again, for messages that suggest a command: {@code " --model PATH"},
     * or empty for the default model.
     */
    String asArgument() {
        return model == null ? "" : " --model " + model;
    }

    /** A short name of the model for display: the folder's name, or "default" for the default model. */
    String displayName() {
        if (model == null) {
            return "default";
        }
        Path dir = model.toAbsolutePath().normalize();
        return dir.getFileName() == null ? dir.toString() : dir.getFileName().toString();
    }

    /**
     * Loads the model, after checking that the folder looks like a checkpoint so that a typo gives a
     * clear message rather than a provider lookup failure.
     *
     * @param err where to report loading progress
     * @return the model, which the caller must close
     * @throws VlalignException if the folder is missing or not loadable
     */
    VlModel load(PrintWriter err) {
        Path dir = checkFolder();
        if (usesDefault()) {
            err.println(DEFAULT_MODEL_NOTICE);
        }
        err.println("Loading " + dir + " ...");
        err.flush();
        long start = System.nanoTime();
        VlModel loaded = VlModel.load(dir, weights.toLoadOptions());
        err.printf("Loaded in %.1f s%n", (System.nanoTime() - start) / 1e9);
        err.flush();
        return loaded;
    }

    /**
     * Checks that the folder exists and holds a {@code config.json}; commands call this before checking
     * their other arguments, so a wrong {@code --model} is reported first. Without {@code --model} it is the
     * extracted default model's folder (extracted on first use).
     *
     * @return the absolute folder
     * @throws VlalignException if the folder is missing or has no config.json, or the default model cannot
     *     be extracted
     */
    Path checkFolder() {
        if (usesDefault()) {
            return DefaultModel.folder();
        }
        Path dir = model.toAbsolutePath().normalize();
        if (!Files.exists(dir)) {
            throw new VlalignException("Model folder " + dir + " does not exist. Pass --model the folder of a"
                    + " downloaded Hugging Face checkpoint, e.g. `huggingface-cli download"
                    + " Salesforce/instructblip-vicuna-7b --local-dir models/instructblip`.");
        }
        if (!Files.isDirectory(dir)) {
            throw new VlalignException("--model " + dir + " is a file, not a folder. Pass the checkpoint folder"
                    + " that holds config.json and the *.safetensors files.");
        }
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new CheckpointException("Model folder " + dir + " has no config.json, so it is not a Hugging"
                    + " Face checkpoint. Pass the folder that holds config.json, *.safetensors and"
                    + " tokenizer.json (for a Hub download: the folder given to --local-dir).");
        }
        return dir;
    }
}
