package org.vlalign.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.vlalign.CheckpointException;
import org.vlalign.core.checkpoint.SafetensorsReader;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * Everything a training run needs to continue exactly, in one safetensors file: the trained parameters
 * by key, the AdamW moments and step (which is also the scheduler step), where the data order stands
 * (epoch and position), the run seed and the dataset size it was started with, and the objective's name.
 *
 * <p>Tensors: {@code param.<key>}, {@code adamw.m.<key>}, {@code adamw.v.<key>}; metadata: {@code
 * format}, {@code objective}, {@code step}, {@code epoch}, {@code position}, {@code run_seed}, {@code
 * examples}. Files are written atomically.
 *
 * <p>Immutable and thread-safe.
 *
 * @param objective the objective's {@link Objective#name()}
 * @param parameters the trained parameters (key → values)
 * @param shapes the parameter shapes
 * @param optimizer the AdamW state (its step is the scheduler step)
 * @param epoch the epoch to continue in
 * @param position examples of that epoch already consumed
 * @param runSeed the data order's seed
 * @param examples the dataset size the run was started with
 * @since 0.1.0
 */
public record TrainingCheckpoint(String objective, Map<String, float[]> parameters, Map<String, long[]> shapes,
        AdamW.State optimizer, int epoch, int position, long runSeed, int examples) {

    /** The file name the loop writes in its checkpoint folder. */
    public static final String FILE_NAME = "checkpoint.safetensors";
    private static final String FORMAT = "vlalign-training-2";
    private static final String PARAM = "param.";
    private static final String M = "adamw.m.";
    private static final String V = "adamw.v.";

    /** Copies. */
    public TrainingCheckpoint {
        parameters = Map.copyOf(parameters);
        shapes = Map.copyOf(shapes);
    }

    /**
     * The optimiser steps done.
     *
     * @return the step
     */
    public long step() {
        return optimizer.step();
    }

    /**
     * Writes the checkpoint.
     *
     * @param file the target (replaced atomically)
     */
    public void write(Path file) {
        SafetensorsWriter w = SafetensorsWriter.create()
                .metadata("format", FORMAT)
                .metadata("objective", objective)
                .metadata("step", Long.toString(optimizer.step()))
                .metadata("epoch", Integer.toString(epoch))
                .metadata("position", Integer.toString(position))
                .metadata("run_seed", Long.toString(runSeed))
                .metadata("examples", Integer.toString(examples));
        for (String key : new TreeSet<>(parameters.keySet())) {
            long[] shape = shapes.get(key);
            w.addF32(PARAM + key, parameters.get(key), shape);
            w.addF32(M + key, optimizer.m().get(key), shape);
            w.addF32(V + key, optimizer.v().get(key), shape);
        }
        w.write(file);
    }

    /**
     * Reads a checkpoint.
     *
     * @param file the file
     * @return the checkpoint
     * @throws CheckpointException if it is not a training checkpoint of this format or is incomplete
     */
    public static TrainingCheckpoint read(Path file) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            Map<String, String> md = r.metadata();
            if (!FORMAT.equals(md.get("format"))) {
                throw new CheckpointException(file + " is not a vlalign training checkpoint of this version (metadata"
                        + " format is " + md.get("format") + ", expected " + FORMAT + "); pass the " + FILE_NAME
                        + " a training loop of this version wrote, or start the run again");
            }
            Map<String, float[]> params = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, float[]> m = new LinkedHashMap<>();
            Map<String, float[]> v = new LinkedHashMap<>();
            for (TensorInfo t : r.tensors().values()) {
                if (t.name().startsWith(PARAM)) {
                    String key = t.name().substring(PARAM.length());
                    params.put(key, r.readFloats(t.name()));
                    shapes.put(key, t.shape());
                    m.put(key, r.readFloats(M + key));
                    v.put(key, r.readFloats(V + key));
                }
            }
            try {
                return new TrainingCheckpoint(Objects.requireNonNull(md.get("objective"), "objective"), params, shapes,
                        new AdamW.State(Long.parseLong(md.get("step")), m, v), Integer.parseInt(md.get("epoch")),
                        Integer.parseInt(md.get("position")), Long.parseLong(md.get("run_seed")),
                        Integer.parseInt(md.get("examples")));
            } catch (RuntimeException e) {
                throw new CheckpointException("training checkpoint " + file + " has incomplete metadata " + md
                        + ": " + e.getMessage(), e);
            }
        }
    }
}
