package org.vlalign.torch.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import com.google.common.base.Preconditions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vlalign.Adaptor;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.adaptor.LinearAdaptor;
import org.vlalign.torch.internal.adaptor.MlpAdaptor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.torch.internal.NdArrays;

/**
 * An adaptor whose parameters can be trained: a linear projection {@code x·Wᵀ + b} (the reference
 * system's 768→4096 adaptor, InstructBLIP's {@code language_projection}) or LLaVA's two-layer GELU MLP.
 *
 * <p>Parameter names are the HF keys without prefix: {@code weight}, {@code bias} for linear; {@code
 * linear_1.weight}, {@code linear_1.bias}, {@code linear_2.weight}, {@code linear_2.bias} for the MLP.
 * {@link #export(Path)} writes them with the prefix that {@link LinearAdaptor#load(Path)} ({@value
 * LinearAdaptor#LANGUAGE_PROJECTION}) or {@link MlpAdaptor#load} ({@value
 * MlpAdaptor#MULTI_MODAL_PROJECTOR}) reads. Fresh parameters follow PyTorch's {@code nn.Linear}
 * initialisation: weight and bias uniform in {@code ±1/√in}.
 *
 * <p>Not thread-safe while it is being trained; afterwards {@link #adapt} may be called from several
 * threads. The parameters live in the adaptor's own manager, which {@link #close} releases.
 *
 * <pre>{@code
 * try (TrainableAdaptor adaptor = TrainableAdaptor.linear(768, 4096, 42L)) {
 *     // ... AdaptorTrainer.create(lm, wrapper, adaptor, features, config).train(examples)
 *     adaptor.export(Path.of("adaptor.safetensors"));
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class TrainableAdaptor implements Adaptor {

    /**
     * The adaptor architectures.
     *
     * @since 0.1.0
     */
    public enum Kind {
        /** {@code x·Wᵀ + b}. */
        LINEAR,
        /** {@code linear_2(gelu(linear_1(x)))}, exact-erf GELU. */
        MLP
    }

    /** Metadata key naming the kind in exported files. */
    public static final String KIND_METADATA = "vlalign_adaptor_kind";

    private final NDManager manager;
    private final Kind kind;
    private final Map<String, NDArray> parameters; // name -> array; see the class comment for shapes
    private final int inputDim;
    private final int outputDim;
    private boolean closed;

    private TrainableAdaptor(NDManager manager, Kind kind, Map<String, NDArray> parameters) {
        this.manager = manager;
        this.kind = kind;
        this.parameters = parameters;
        if (kind == Kind.LINEAR) {
            this.outputDim = (int) parameters.get("weight").getShape().get(0); // (out, in)
            this.inputDim = (int) parameters.get("weight").getShape().get(1);
        } else {
            this.inputDim = (int) parameters.get("linear_1.weight").getShape().get(1); // (hidden, in)
            this.outputDim = (int) parameters.get("linear_2.weight").getShape().get(0); // (out, hidden)
        }
    }

    /**
     * A freshly initialised linear adaptor with bias.
     *
     * @param inputDim the feature width
     * @param outputDim the language model's hidden size
     * @param seed the initialisation seed
     * @return the adaptor; close it
     */
    public static TrainableAdaptor linear(int inputDim, int outputDim, long seed) {
        checkDims(inputDim, outputDim, 1);
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        values.put("weight", uniform(r, (long) outputDim * inputDim, inputDim));
        values.put("bias", uniform(r, outputDim, inputDim));
        return of(Kind.LINEAR, values, Map.of("weight", new long[] {outputDim, inputDim}, "bias",
                new long[] {outputDim}));
    }

    /**
     * A freshly initialised two-layer GELU MLP.
     *
     * @param inputDim the feature width
     * @param hiddenDim the inner width (LLaVA-1.5: the LM's hidden size)
     * @param outputDim the language model's hidden size
     * @param seed the initialisation seed
     * @return the adaptor; close it
     */
    public static TrainableAdaptor mlp(int inputDim, int hiddenDim, int outputDim, long seed) {
        checkDims(inputDim, outputDim, hiddenDim);
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, float[]> values = new LinkedHashMap<>();
        values.put("linear_1.weight", uniform(r, (long) hiddenDim * inputDim, inputDim));
        values.put("linear_1.bias", uniform(r, hiddenDim, inputDim));
        values.put("linear_2.weight", uniform(r, (long) outputDim * hiddenDim, hiddenDim));
        values.put("linear_2.bias", uniform(r, outputDim, hiddenDim));
        return of(Kind.MLP, values, Map.of(
                "linear_1.weight", new long[] {hiddenDim, inputDim}, "linear_1.bias", new long[] {hiddenDim},
                "linear_2.weight", new long[] {outputDim, hiddenDim}, "linear_2.bias", new long[] {outputDim}));
    }

    /**
     * Loads an adaptor to continue training it: a safetensors file (or checkpoint folder) holding {@code
     * [language_projection.]weight/bias} or {@code [multi_modal_projector.]linear_1/linear_2.*}.
     *
     * @param path a {@code .safetensors} file or a checkpoint folder
     * @return the adaptor; close it
     * @throws CheckpointException if no adaptor weights are found
     */
    public static TrainableAdaptor load(Path path) {
        try (TorchCheckpoint ckpt = Files.isDirectory(path) ? TorchCheckpoint.open(path) : TorchCheckpoint.openFile(path)) {
            for (String prefix : List.of(MlpAdaptor.MULTI_MODAL_PROJECTOR, "")) {
                if (ckpt.has(prefix + "linear_1.weight")) {
                    return read(ckpt, prefix, Kind.MLP, List.of("linear_1.weight", "linear_1.bias",
                            "linear_2.weight", "linear_2.bias"));
                }
            }
            for (String prefix : List.of(LinearAdaptor.LANGUAGE_PROJECTION, "")) {
                if (ckpt.has(prefix + "weight")) {
                    if (!ckpt.has(prefix + "bias")) {
                        throw new CheckpointException("adaptor weight '" + prefix + "weight' in " + path
                                + " has no bias '" + prefix + "bias'; trainable linear adaptors need one");
                    }
                    return read(ckpt, prefix, Kind.LINEAR, List.of("weight", "bias"));
                }
            }
            throw new CheckpointException("no adaptor weights in " + path + ": expected '"
                    + LinearAdaptor.LANGUAGE_PROJECTION + "weight/bias', 'weight/bias' or '"
                    + MlpAdaptor.MULTI_MODAL_PROJECTOR + "linear_1.*/linear_2.*'; found " + ckpt.tensorNames());
        }
    }

    private static TrainableAdaptor read(TorchCheckpoint ckpt, String prefix, Kind kind, List<String> names) {
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String n : names) {
            shapes.put(n, ckpt.info(prefix + n).shape());
            values.put(n, ckpt.loadFloats(prefix + n));
        }
        return of(kind, values, shapes);
    }

    /**
     * An adaptor from explicit parameter values (for restoring checkpoints and for tests).
     *
     * @param kind the architecture
     * @param values parameter name → row-major values
     * @param shapes parameter name → shape
     * @return the adaptor; close it
     * @throws InvalidArgumentException if names or shapes do not fit the kind
     */
    public static TrainableAdaptor of(Kind kind, Map<String, float[]> values, Map<String, long[]> shapes) {
        List<String> names = kind == Kind.LINEAR ? List.of("weight", "bias")
                : List.of("linear_1.weight", "linear_1.bias", "linear_2.weight", "linear_2.bias");
        if (!values.keySet().equals(new java.util.HashSet<>(names))) {
            throw new InvalidArgumentException("a " + kind + " adaptor needs parameters " + names + " but got "
                    + values.keySet());
        }
        NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        try {
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (String n : names) {
                params.put(n, NdArrays.floats(manager, values.get(n), shapes.get(n)));
            }
            checkChain(kind, params);
            return new TrainableAdaptor(manager, kind, params);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static void checkChain(Kind kind, Map<String, NDArray> p) {
        if (kind == Kind.LINEAR) {
            Shape w = p.get("weight").getShape();
            if (w.dimension() != 2 || p.get("bias").getShape().dimension() != 1 || p.get("bias").getShape().get(0) != w.get(0)) {
                throw new InvalidArgumentException("linear adaptor shapes do not fit: weight " + w + ", bias "
                        + p.get("bias").getShape() + "; expected (out, in) and (out)");
            }
        } else {
            Shape w1 = p.get("linear_1.weight").getShape();
            Shape w2 = p.get("linear_2.weight").getShape();
            if (w1.dimension() != 2 || w2.dimension() != 2 || w2.get(1) != w1.get(0)
                    || p.get("linear_1.bias").getShape().get(0) != w1.get(0)
                    || p.get("linear_2.bias").getShape().get(0) != w2.get(0)) {
                throw new InvalidArgumentException("MLP adaptor shapes do not chain: linear_1.weight " + w1
                        + ", linear_2.weight " + w2 + "; expected (hidden, in) and (out, hidden) with matching biases");
            }
        }
    }

    private static void checkDims(int in, int out, int hidden) {
        if (in <= 0 || out <= 0 || hidden <= 0) {
            throw new InvalidArgumentException("adaptor widths must be positive but were in " + in + ", hidden "
                    + hidden + ", out " + out);
        }
    }

    private static float[] uniform(SplittableRandom r, long n, int fanIn) {
        Preconditions.checkArgument(n <= Integer.MAX_VALUE, "too many parameters: %s", n);
        double bound = 1.0 / Math.sqrt(fanIn);
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    /**
     * The architecture.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    @Override
    public int inputDim() {
        return inputDim;
    }

    @Override
    public int outputDim() {
        return outputDim;
    }

    /**
     * The parameter names in a fixed order.
     *
     * @return the names
     */
    public List<String> parameterNames() {
        return new ArrayList<>(parameters.keySet());
    }

    /**
     * A parameter array (owned by this adaptor; do not close it).
     *
     * @param name a name from {@link #parameterNames()}
     * @return the array
     */
    public NDArray parameter(String name) {
        checkOpen();
        NDArray p = parameters.get(name);
        Preconditions.checkArgument(p != null, "no parameter %s in %s", name, parameters.keySet());
        return p;
    }

    /**
     * Replaces a parameter with a new array, which moves into this adaptor's manager; the old one is
     * closed. Used by the optimiser, which creates fresh leaf arrays every step.
     *
     * @param name the name
     * @param value the new value, same shape
     */
    void replaceParameter(String name, NDArray value) {
        NDArray old = parameter(name);
        Preconditions.checkArgument(old.getShape().equals(value.getShape()), "parameter %s has shape %s, not %s",
                name, old.getShape(), value.getShape());
        value.attach(manager);
        parameters.put(name, value);
        old.close();
    }

    /**
     * The manager that owns the parameters.
     *
     * @return the manager
     */
    NDManager manager() {
        return manager;
    }

    /**
     * A copy of every parameter's values.
     *
     * @return name → row-major values, in {@link #parameterNames()} order
     */
    public Map<String, float[]> values() {
        checkOpen();
        Map<String, float[]> out = new LinkedHashMap<>();
        parameters.forEach((n, p) -> out.put(n, p.toFloatArray()));
        return out;
    }

    /**
     * Every parameter's shape.
     *
     * @return name → shape
     */
    public Map<String, long[]> shapes() {
        Map<String, long[]> out = new LinkedHashMap<>();
        parameters.forEach((n, p) -> out.put(n, p.getShape().getShape()));
        return out;
    }

    /**
     * The differentiable forward: gradients flow to the parameters that require them.
     *
     * @param features {@code (..., inputDim)}; its manager owns the result
     * @return {@code (..., outputDim)}
     */
    public NDArray forward(NDArray features) {
        checkOpen();
        if (kind == Kind.LINEAR) {
            return NdArrays.linear(features, parameters.get("weight"), parameters.get("bias"));
        }
        NDArray hidden = Activation.gelu(NdArrays.linear(features, parameters.get("linear_1.weight"),
                parameters.get("linear_1.bias"))); // (..., hidden)
        return NdArrays.linear(hidden, parameters.get("linear_2.weight"), parameters.get("linear_2.bias"));
    }

    @Override
    public Features adapt(Features features) {
        if (features.cols() != inputDim) {
            throw new InvalidArgumentException("features have width " + features.cols() + " but this adaptor expects "
                    + inputDim + " (shape " + java.util.Arrays.toString(features.shape()) + ")");
        }
        checkOpen();
        try (NDManager call = manager.newSubManager()) {
            NDArray x = NdArrays.floats(call, features.data(), features.rows(), inputDim); // (rows, in)
            float[] out = forward(x).stopGradient().toFloatArray(); // (rows, out)
            return Features.of(out, features.rows(), outputDim);
        }
    }

    /**
     * Writes the parameters as safetensors with the keys {@link LinearAdaptor} or {@link MlpAdaptor}
     * loads ({@value LinearAdaptor#LANGUAGE_PROJECTION} or {@value MlpAdaptor#MULTI_MODAL_PROJECTOR}
     * prefix), atomically.
     *
     * @param file the target file
     * @throws CheckpointException if writing fails
     */
    public void export(Path file) {
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt").metadata(KIND_METADATA, kind.name());
        String prefix = kind == Kind.LINEAR ? LinearAdaptor.LANGUAGE_PROJECTION : MlpAdaptor.MULTI_MODAL_PROJECTOR;
        values().forEach((n, v) -> w.addF32(prefix + n, v, parameters.get(n).getShape().getShape()));
        w.write(file);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this adaptor is closed");
        }
    }

    /** Releases the parameters. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }

    @Override
    public String toString() {
        return "TrainableAdaptor[" + kind + ", " + inputDim + " -> " + outputDim + "]";
    }
}
