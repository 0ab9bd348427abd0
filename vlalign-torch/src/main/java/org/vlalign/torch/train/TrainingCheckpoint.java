package org.vlalign.torch.train;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlalign.CheckpointException;
import org.vlalign.core.checkpoint.SafetensorsReader;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.core.checkpoint.TensorInfo;

/**
 * Everything a training run needs to continue exactly: the adaptor parameters, the AdamW moments and
 * step, the scheduler step, the epoch, the position in the epoch, the epoch's shuffle seed and the run
 * seed, in one safetensors file.
 *
 * <p>Tensors: {@code adaptor.<name>}, {@code adamw.m.<name>}, {@code adamw.v.<name>}; metadata: {@code
 * step}, {@code epoch}, {@code position}, {@code epoch_seed}, {@code run_seed}, {@code examples},
 * {@code adaptor_kind}, {@code format}. Files are written atomically.
 *
 * <p>Immutable and thread-safe.
 *
 * @param kind the adaptor architecture
 * @param parameters the adaptor parameters (name → values)
 * @param shapes the parameter shapes
 * @param optimizer the AdamW state (its step is the scheduler step)
 * @param epoch the epoch to continue in
 * @param position examples of that epoch already consumed
 * @param epochSeed that epoch's shuffle seed
 * @param runSeed the run seed
 * @param examples the dataset size the run was started with
 * @since 0.1.0
 */
public record TrainingCheckpoint(TrainableAdaptor.Kind kind, Map<String, float[]> parameters,
        Map<String, long[]> shapes, AdamW.State optimizer, int epoch, int position, long epochSeed, long runSeed,
        int examples) {

    /** The file name the trainer writes in its checkpoint folder. */
    public static final String FILE_NAME = "checkpoint.safetensors";
    private static final String FORMAT = "vlalign-adaptor-training-1";

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
                .metadata("adaptor_kind", kind.name())
                .metadata("step", Long.toString(optimizer.step()))
                .metadata("epoch", Integer.toString(epoch))
                .metadata("position", Integer.toString(position))
                .metadata("epoch_seed", Long.toString(epochSeed))
                .metadata("run_seed", Long.toString(runSeed))
                .metadata("examples", Integer.toString(examples));
        for (String name : new java.util.TreeSet<>(parameters.keySet())) {
            long[] shape = shapes.get(name);
            w.addF32("adaptor." + name, parameters.get(name), shape);
            w.addF32("adamw.m." + name, optimizer.m().get(name), shape);
            w.addF32("adamw.v." + name, optimizer.v().get(name), shape);
        }
        w.write(file);
    }

    /**
     * Reads a checkpoint.
     *
     * @param file the file
     * @return the checkpoint
     * @throws CheckpointException if it is not a training checkpoint or is incomplete
     */
    public static TrainingCheckpoint read(Path file) {
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            Map<String, String> md = r.metadata();
            if (!FORMAT.equals(md.get("format"))) {
                throw new CheckpointException(file + " is not a vlalign training checkpoint (metadata format is "
                        + md.get("format") + ", expected " + FORMAT + "); pass the " + FILE_NAME
                        + " the trainer wrote");
            }
            Map<String, float[]> params = new LinkedHashMap<>();
            Map<String, long[]> shapes = new LinkedHashMap<>();
            Map<String, float[]> m = new LinkedHashMap<>();
            Map<String, float[]> v = new LinkedHashMap<>();
            for (TensorInfo t : r.tensors().values()) {
                if (t.name().startsWith("adaptor.")) {
                    String name = t.name().substring("adaptor.".length());
                    params.put(name, r.readFloats(t.name()));
                    shapes.put(name, t.shape());
                    m.put(name, r.readFloats("adamw.m." + name));
                    v.put(name, r.readFloats("adamw.v." + name));
                }
            }
            try {
                return new TrainingCheckpoint(TrainableAdaptor.Kind.valueOf(md.get("adaptor_kind")), params, shapes,
                        new AdamW.State(Long.parseLong(md.get("step")), m, v), Integer.parseInt(md.get("epoch")),
                        Integer.parseInt(md.get("position")), Long.parseLong(md.get("epoch_seed")),
                        Long.parseLong(md.get("run_seed")), Integer.parseInt(md.get("examples")));
            } catch (RuntimeException e) {
                throw new CheckpointException("training checkpoint " + file + " has incomplete metadata " + md
                        + ": " + e.getMessage(), e);
            }
        }
    }
}
