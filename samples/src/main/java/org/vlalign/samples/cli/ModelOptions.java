package org.vlalign.samples.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.CheckpointException;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import picocli.CommandLine.Option;

/**
 * The {@code --model} option and model loading through the public API ({@link VlModel#load(Path)}).
 *
 * <p>Not thread-safe: it holds one parsed command line's value.
 *
 * @since 0.1.0
 */
public final class ModelOptions {

    @Option(
            names = {"-m", "--model"},
            required = true,
            paramLabel = "PATH",
            description = {
                "Checkpoint folder in Hugging Face layout (config.json, *.safetensors,"
                        + " tokenizer.json): InstructBLIP, BLIP-2, LLaVA-1.5 or CLIP.",
                "Required until an embedded default model ships."
            })
    Path model;

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
        err.println("Loading " + dir + " ...");
        err.flush();
        long start = System.nanoTime();
        VlModel loaded = VlModel.load(dir);
        err.printf("Loaded in %.1f s%n", (System.nanoTime() - start) / 1e9);
        err.flush();
        return loaded;
    }

    /**
     * Checks that the folder exists and holds a {@code config.json}; commands call this before checking
     * their other arguments, so a wrong {@code --model} is reported first.
     *
     * @return the absolute folder
     * @throws VlalignException if the folder is missing or has no config.json
     */
    Path checkFolder() {
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
