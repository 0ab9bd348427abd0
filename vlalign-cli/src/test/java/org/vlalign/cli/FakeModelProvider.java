package org.vlalign.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.vlalign.CheckpointException;
import org.vlalign.VlModel;
import org.vlalign.spi.ModelProvider;

/**
 * A model provider for the CLI tests, found through {@code META-INF/services} on the test class path. It
 * loads folders whose {@code config.json} says {@code "model_type": "vlalign-cli-fake"} into a
 * {@link FakeVlModel}; with {@code "broken": true} loading fails like a damaged checkpoint.
 */
public final class FakeModelProvider implements ModelProvider {
    static final String MODEL_TYPE = "vlalign-cli-fake";

    @Override
    public String name() {
        return "cli-test-fake";
    }

    @Override
    public Set<String> modelTypes() {
        return Set.of(MODEL_TYPE);
    }

    @Override
    public boolean supports(Path checkpoint) {
        String config = config(checkpoint);
        return config != null && config.contains("\"" + MODEL_TYPE + "\"");
    }

    @Override
    public VlModel load(Path checkpoint) {
        String config = config(checkpoint);
        if (config != null && config.contains("\"broken\": true")) {
            throw new CheckpointException("Tensor fake.weight in " + checkpoint.resolve("model.safetensors")
                    + " is truncated. Download the checkpoint again.");
        }
        return new FakeVlModel(config == null || !config.contains("\"search\": false"));
    }

    /** Writes a checkpoint folder this provider loads. */
    public static Path writeCheckpoint(Path dir, boolean broken) throws IOException {
        return writeCheckpoint(dir, broken ? ", \"broken\": true" : "");
    }

    /** Writes a checkpoint folder of a model that can answer but not search. */
    public static Path writeAnswerOnlyCheckpoint(Path dir) throws IOException {
        return writeCheckpoint(dir, ", \"search\": false");
    }

    private static Path writeCheckpoint(Path dir, String extra) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"" + MODEL_TYPE + "\"" + extra + "}");
        return dir;
    }

    private static String config(Path checkpoint) {
        Path file = checkpoint.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
