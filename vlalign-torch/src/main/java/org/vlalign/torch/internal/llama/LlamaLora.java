package org.vlalign.torch.internal.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vlalign.CheckpointException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.llm.LoraAdapter;
import org.vlalign.llm.LoraConfig;
import org.vlalign.torch.internal.NamedParameters;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.Parameterized;

/**
 * A LoRA adapter attached, unmerged, to a {@link LlamaModel}'s projections: every targeted linear layer
 * computes {@code W x + s · B A dropout(x)} (PEFT's {@code LoraLayer}), with {@code A (r, in)} and {@code B
 * (out, r)} living in this adapter's own manager and {@code W} left untouched.
 *
 * <p>Training: {@link #parameters()} (also part of the model's {@code parameters()} while attached) holds the
 * matrices under the module path plus {@code .lora_A.weight} / {@code .lora_B.weight}, so any objective over the
 * model trains them through the one training loop with {@code trainable("**.lora_*.weight")}. A new adapter starts
 * as PEFT's does: {@code A} Kaiming-uniform ({@code ±1/√in}), {@code B} zero, so it begins as the base
 * model. Dropout applies to the adapter's input only while autograd records (inside the loop's backward
 * pass), never at inference or in {@code meanLoss}.
 *
 * <p>Files: {@link #save} writes the PEFT layout through {@link LoraAdapter} ({@code adapter_config.json},
 * {@code adapter_model.safetensors}, keys {@code base_model.model.<module path>.lora_A.weight}); the JVM
 * engine merges such a folder at load ({@code LoadOptions.lora}, CLI {@code --lora DIR}), and {@link #load}
 * attaches it here unmerged.
 *
 * <p>Thread-safe for forwards of the model; attaching, training steps and {@link #close} must not race
 * forwards. One adapter per model at a time. Closing detaches it and releases its matrices.
 *
 * <pre>{@code
 * try (LanguageModelObjective lm = LanguageModelObjective.load(llamaDir);
 *         LlamaLora lora = LlamaLora.attach(lm.model().model(), LoraConfig.of(8, 16, "q_proj", "v_proj"), 7L);
 *         TrainingLoop<String> loop = TrainingLoop.create(lm, TrainingConfig.builder()
 *                 .trainable("**.lora_*.weight").build())) {
 *     loop.train(order);
 *     lora.save(adapterDir);
 * }
 * }</pre>
 *
 * @since 0.2.0
 */
public final class LlamaLora implements AutoCloseable, Parameterized {

    private final LlamaModel model;
    private final LoraConfig config;
    private final NDManager manager;
    private final List<LlamaLinear> adapted;
    private final NamedParameters parameters;

    private LlamaLora(LlamaModel model, LoraConfig config, NDManager manager, List<LlamaLinear> adapted,
            NamedParameters parameters) {
        this.model = model;
        this.config = config;
        this.manager = manager;
        this.adapted = List.copyOf(adapted);
        this.parameters = parameters;
    }

    /**
     * Attaches a new adapter to every projection whose name the config targets.
     *
     * @param model the model; stays the caller's
     * @param config rank, alpha, dropout and target modules (names from {@link LoraAdapter#LLAMA_MODULES})
     * @param seed seeds {@code A}'s initialisation
     * @return the attached adapter; close it to detach
     * @throws InvalidArgumentException if a target module is not a Llama projection, or an adapter is attached
     */
    public static LlamaLora attach(LlamaModel model, LoraConfig config, long seed) {
        for (String m : config.targetModules()) {
            if (!LoraAdapter.LLAMA_MODULES.contains(m)) {
                throw new InvalidArgumentException("LoRA target module '" + m + "' is not a Llama projection; choose"
                        + " among " + new java.util.TreeSet<>(LoraAdapter.LLAMA_MODULES));
            }
        }
        SplittableRandom random = new SplittableRandom(seed);
        Map<LlamaLinear, float[][]> init = new LinkedHashMap<>();
        for (LlamaLinear l : model.linears()) {
            if (config.targets(l.name())) {
                long[] s = l.weight().getShape().getShape(); // (out, in)
                int in = (int) s[1];
                float[] a = new float[config.rank() * in]; // (r, in)
                double bound = 1 / Math.sqrt(in); // kaiming_uniform_(a=√5), as PEFT initialises lora_A
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
                }
                init.put(l, new float[][] {a, new float[(int) s[0] * config.rank()]}); // B = 0: starts as the base
            }
        }
        return attach(model, config, init);
    }

    /**
     * Attaches a saved adapter (PEFT layout) without merging it, e.g. to continue training it or to compare
     * with the merged weights.
     *
     * @param model the model; stays the caller's
     * @param dir the adapter folder
     * @return the attached adapter; close it to detach
     * @throws CheckpointException if the adapter adapts a module the model lacks, or its shapes differ
     */
    public static LlamaLora load(LlamaModel model, Path dir) {
        LoraAdapter adapter = LoraAdapter.load(dir);
        Map<LlamaLinear, float[][]> init = new LinkedHashMap<>();
        for (String module : adapter.modules()) {
            LlamaLinear l = model.linears().stream()
                    .filter(x -> x.path().equals(module) || x.path().endsWith("." + module)).findFirst()
                    .orElseThrow(() -> new CheckpointException("LoRA adapter " + dir + " adapts '" + module
                            + "', which is not a projection of this model; the adapter belongs to another model"));
            float[][] ab = adapter.pair(module).orElseThrow();
            long[] s = l.weight().getShape().getShape();
            if (ab[0].length != adapter.rank() * s[1] || ab[1].length != s[0] * adapter.rank()) {
                throw new CheckpointException("LoRA pair '" + module + "' in " + dir + " does not fit the model's ("
                        + s[0] + ", " + s[1] + ") weight; the adapter belongs to another model");
            }
            init.put(l, ab);
        }
        return attach(model, adapter.config(), init);
    }

    private static LlamaLora attach(LlamaModel model, LoraConfig config, Map<LlamaLinear, float[][]> init) {
        if (model.lora().isPresent()) {
            throw new InvalidArgumentException("the model already has a LoRA adapter attached; close it first");
        }
        if (init.isEmpty()) {
            throw new InvalidArgumentException("the LoRA target modules " + config.targetModules()
                    + " match no projection of the model");
        }
        NDManager m = model.manager().newSubManager();
        try {
            NDArray scale = NdArrays.scalar(m, (float) config.scale()); // ()
            Map<String, NDArray> byKey = new LinkedHashMap<>();
            List<LlamaLinear> adapted = new ArrayList<>();
            init.forEach((l, ab) -> {
                long[] s = l.weight().getShape().getShape(); // (out, in)
                NDArray a = NdArrays.floats(m, ab[0], config.rank(), s[1]); // (r, in)
                NDArray b = NdArrays.floats(m, ab[1], s[0], config.rank()); // (out, r)
                byKey.put(l.path() + LoraAdapter.A_SUFFIX, a);
                byKey.put(l.path() + LoraAdapter.B_SUFFIX, b);
                adapted.add(l);
            });
            LlamaLora lora = new LlamaLora(model, config, m, adapted, NamedParameters.of(byKey));
            for (LlamaLinear l : adapted) {
                l.adapter(new LlamaLinear.Adapter(lora.parameters.get(l.path() + LoraAdapter.A_SUFFIX),
                        lora.parameters.get(l.path() + LoraAdapter.B_SUFFIX), scale, (float) config.dropout()));
            }
            model.lora(lora);
            return lora;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * The settings.
     *
     * @return the config
     */
    public LoraConfig config() {
        return config;
    }

    /**
     * The adapted module paths, e.g. {@code model.layers.0.self_attn.q_proj}.
     *
     * @return the paths in model order
     */
    public List<String> modules() {
        return adapted.stream().map(LlamaLinear::path).toList();
    }

    /**
     * The matrices by key ({@code <module path>.lora_A.weight} {@code (r, in)}, {@code .lora_B.weight}
     * {@code (out, r)}): the live arrays the model computes with.
     *
     * @return the view
     */
    @Override
    public NamedParameters parameters() {
        return parameters;
    }

    /**
     * Writes the current matrices in the PEFT layout.
     *
     * @param dir the folder, created if missing
     * @return {@code dir}
     */
    public Path save(Path dir) {
        Map<String, float[][]> pairs = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        for (LlamaLinear l : adapted) {
            long[] s = l.weight().getShape().getShape();
            pairs.put(l.path(), new float[][] {parameters.get(l.path() + LoraAdapter.A_SUFFIX).toFloatArray(),
                parameters.get(l.path() + LoraAdapter.B_SUFFIX).toFloatArray()});
            shapes.put(l.path(), new int[] {(int) s[0], (int) s[1]});
        }
        LoraAdapter.write(dir, config, pairs, shapes);
        return dir;
    }

    /** Detaches the adapter (the model computes with its base weights again) and releases it. Idempotent. */
    @Override
    public void close() {
        if (!manager.isOpen()) {
            return;
        }
        for (LlamaLinear l : adapted) {
            l.adapter(null);
        }
        model.lora(null);
        manager.close();
    }

    @Override
    public String toString() {
        return "LlamaLora[" + config + ", " + adapted.size() + " modules]";
    }
}
