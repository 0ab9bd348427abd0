package org.vlalign.train;

import ai.djl.ndarray.NDArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.vlalign.Adaptor;
import org.vlalign.CheckpointException;
import org.vlalign.Checks;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.Parameterized;
import org.vlalign.torch.internal.adaptor.LinearAdaptor;
import org.vlalign.torch.internal.adaptor.MlpAdaptor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;

/**
 * An adaptor to train: a linear projection {@code x·Wᵀ + b} (the reference system's 768→4096 adaptor,
 * InstructBLIP's {@code language_projection}) or LLaVA's two-layer GELU MLP, computing through the
 * SDK's own {@link LinearAdaptor} or {@link MlpAdaptor}.
 *
 * <p>Its {@link #parameters()} carry the keys those loaders read: {@code language_projection.weight},
 * {@code language_projection.bias} for linear; {@code multi_modal_projector.linear_1.weight}, ...,
 * {@code multi_modal_projector.linear_2.bias} for the MLP, whatever prefix the weights were loaded with;
 * {@link #export(Path)} writes them under those keys. Fresh parameters follow PyTorch's {@code
 * nn.Linear} initialisation: weight and bias uniform in {@code ±1/√in}.
 *
 * <p>Not thread-safe while it is being trained; afterwards {@link #adapt} may be called from several
 * threads. The parameters live in the adaptor's own manager, which {@link #close} releases.
 *
 * <pre>{@code
 * try (TrainableAdaptor adaptor = TrainableAdaptor.linear(768, 4096, 42L)) {
 *     // ... TrainingLoop.create(AdaptorObjective.create(lm, wrapper, adaptor, features), config).train(examples)
 *     adaptor.export(Path.of("adaptor.safetensors"));
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class TrainableAdaptor implements Adaptor, Parameterized {

    /**
     * The adaptor architectures.
     *
     * @since 0.1.0
     */
    public enum Kind {
        /** {@code x·Wᵀ + b}. */
        LINEAR(LinearAdaptor.LANGUAGE_PROJECTION, List.of("weight", "bias")),
        /** {@code linear_2(gelu(linear_1(x)))}, exact-erf GELU. */
        MLP(MlpAdaptor.MULTI_MODAL_PROJECTOR, List.of("linear_1.weight", "linear_1.bias", "linear_2.weight",
                "linear_2.bias"));

        private final String prefix; // the key prefix the SDK's loader reads
        private final List<String> names; // the parameter names after the prefix, in order

        Kind(String prefix, List<String> names) {
            this.prefix = prefix;
            this.names = names;
        }
    }

    /** Metadata key naming the kind in exported files. */
    public static final String KIND_METADATA = "vlalign_adaptor_kind";

    private final Kind kind;
    private final Adaptor delegate; // the LinearAdaptor or MlpAdaptor that owns the weights
    private final NamedParameters parameters; // the delegate's, under the kind's prefix
    private final UnaryOperator<NDArray> forward; // the delegate's differentiable forward

    private TrainableAdaptor(Kind kind, Adaptor delegate, NamedParameters parameters, UnaryOperator<NDArray> forward) {
        this.kind = kind;
        this.delegate = delegate;
        this.parameters = parameters;
        this.forward = forward;
    }

    private static TrainableAdaptor wrap(LinearAdaptor linear) {
        return new TrainableAdaptor(Kind.LINEAR, linear, linear.parameters(), linear::forward);
    }

    private static TrainableAdaptor wrap(MlpAdaptor mlp) {
        return new TrainableAdaptor(Kind.MLP, mlp, mlp.parameters(), mlp::forward);
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
        float[] w = uniform(r, (long) outputDim * inputDim, inputDim);
        float[] b = uniform(r, outputDim, inputDim);
        return wrap(LinearAdaptor.of(Kind.LINEAR.prefix, w, b, inputDim, outputDim));
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
        float[] w1 = uniform(r, (long) hiddenDim * inputDim, inputDim);
        float[] b1 = uniform(r, hiddenDim, inputDim);
        float[] w2 = uniform(r, (long) outputDim * hiddenDim, hiddenDim);
        float[] b2 = uniform(r, outputDim, hiddenDim);
        return wrap(MlpAdaptor.of(Kind.MLP.prefix, w1, b1, w2, b2, inputDim, hiddenDim, outputDim));
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
                    return read(ckpt, prefix, Kind.MLP);
                }
            }
            for (String prefix : List.of(LinearAdaptor.LANGUAGE_PROJECTION, "")) {
                if (ckpt.has(prefix + "weight")) {
                    if (!ckpt.has(prefix + "bias")) {
                        throw new CheckpointException("adaptor weight '" + prefix + "weight' in " + path
                                + " has no bias '" + prefix + "bias'; trainable linear adaptors need one");
                    }
                    return read(ckpt, prefix, Kind.LINEAR);
                }
            }
            throw new CheckpointException("no adaptor weights in " + path + ": expected '"
                    + LinearAdaptor.LANGUAGE_PROJECTION + "weight/bias', 'weight/bias' or '"
                    + MlpAdaptor.MULTI_MODAL_PROJECTOR + "linear_1.*/linear_2.*'; found " + ckpt.tensorNames());
        }
    }

    private static TrainableAdaptor read(TorchCheckpoint ckpt, String prefix, Kind kind) {
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String n : kind.names) {
            shapes.put(kind.prefix + n, ckpt.info(prefix + n).shape());
            values.put(kind.prefix + n, ckpt.loadFloats(prefix + n));
        }
        return of(kind, values, shapes);
    }

    /**
     * An adaptor from explicit parameter values (for restoring checkpoints and for tests).
     *
     * @param kind the architecture
     * @param values parameter key (as {@link #parameters()} names it) → row-major values
     * @param shapes parameter key → shape
     * @return the adaptor; close it
     * @throws InvalidArgumentException if keys or shapes do not fit the kind
     */
    public static TrainableAdaptor of(Kind kind, Map<String, float[]> values, Map<String, long[]> shapes) {
        String prefix = kind.prefix;
        List<String> keys = kind.names.stream().map(n -> prefix + n).toList();
        if (!values.keySet().equals(new java.util.HashSet<>(keys)) || !shapes.keySet().containsAll(keys)) {
            throw new InvalidArgumentException("a " + kind + " adaptor needs parameters " + keys + " but got "
                    + values.keySet() + " with shapes for " + shapes.keySet());
        }
        long[] first = shapes.get(keys.get(0)); // (out, in) for linear, (hidden, in) for the MLP
        long[] last = shapes.get(keys.get(keys.size() - 2)); // the last weight: (out, in) or (out, hidden)
        if (first.length != 2 || last.length != 2 || last[1] != (kind == Kind.LINEAR ? first[1] : first[0])) {
            throw new InvalidArgumentException("the weights of a " + kind + " adaptor do not chain: "
                    + keys.get(0) + " " + java.util.Arrays.toString(first) + ", " + keys.get(keys.size() - 2) + " "
                    + java.util.Arrays.toString(last) + "; expected (out, in), or (hidden, in) and (out, hidden)");
        }
        List<float[]> v = keys.stream().map(values::get).toList(); // value counts are checked by the adaptor
        return kind == Kind.LINEAR
                ? wrap(LinearAdaptor.of(prefix, v.get(0), v.get(1), (int) first[1], (int) first[0]))
                : wrap(MlpAdaptor.of(prefix, v.get(0), v.get(1), v.get(2), v.get(3), (int) first[1], (int) first[0],
                        (int) last[0]));
    }

    private static void checkDims(int in, int out, int hidden) {
        if (in <= 0 || out <= 0 || hidden <= 0) {
            throw new InvalidArgumentException("adaptor widths must be positive but were in " + in + ", hidden "
                    + hidden + ", out " + out);
        }
    }

    private static float[] uniform(SplittableRandom r, long n, int fanIn) {
        Checks.checkArgument(n <= Integer.MAX_VALUE, "too many parameters: %s", n);
        double bound = 1.0 / Math.sqrt(fanIn);
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    @Override
    public int inputDim() {
        return delegate.inputDim();
    }

    /**
     * The differentiable forward: gradients flow to the parameters that require them.
     *
     * @param features {@code (..., inputDim)}; its manager owns the result
     * @return {@code (..., outputDim)}
     */
    NDArray forward(NDArray features) {
        return forward.apply(features);
    }

    @Override
    public Features adapt(Features features) {
        return delegate.adapt(features);
    }

    @Override
    public int outputDim() {
        return delegate.outputDim();
    }

    /**
     * The weights by the keys the SDK's loaders read (see the class comment).
     *
     * @return the read-only view of the live weights
     * @since 0.2.0
     */
    @Override
    public NamedParameters parameters() {
        return parameters;
    }

    /**
     * Writes the parameters as safetensors under their keys, which {@link LinearAdaptor#load(Path)} or
     * {@link MlpAdaptor#load} read, with the kind in the metadata; atomically.
     *
     * @param file the target file
     * @throws CheckpointException if writing fails
     */
    public void export(Path file) {
        parameters.writeSafetensors(file, Map.of("format", "pt", KIND_METADATA, kind.name()));
    }

    /**
     * The architecture.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /** Releases the parameters. Idempotent. */
    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "TrainableAdaptor[" + kind + ", " + inputDim() + " -> " + outputDim() + "]";
    }
}
