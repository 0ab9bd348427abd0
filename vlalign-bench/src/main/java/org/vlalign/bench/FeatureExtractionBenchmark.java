package org.vlalign.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.vlalign.torch.internal.blip2.Blip2Config;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;

/**
 * Throughput of BLIP-2 feature extraction (vision transformer + Q-Former, from pixel values to the query
 * output) at batch 1 and 8, with and without a 16-token instruction (InstructBLIP), against the matmul
 * roofline measured in the same run.
 *
 * <p>The default model is ViT-B/16 at 224 px (hidden 768, 12 layers, 12 heads, MLP 3072) and a 12-layer
 * Q-Former (32 queries, hidden 768, cross-attention every 2 layers) with random weights, written once as a
 * bf16 checkpoint in {@code @Setup}; {@code -Dvlalign.bench.checkpoint=<folder>} runs a real BLIP-2 /
 * InstructBLIP folder instead. {@code @Setup} prints the model's GFLOP per image and the roofline's GFLOP/s;
 * the {@code images} counter is images per second, so achieved GFLOP/s = images/s × GFLOP/image. Image
 * decoding and resizing are not included (they are the preprocessor's, measured separately).
 *
 * <p>Not thread-safe: JMH runs each state on its own.
 *
 * @since 0.1.0
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// One forward of ViT-B + Q-Former takes ~0.1-1 s on 2 cores: two 10 s warm-ups let PyTorch size its
// allocator pools and C2 compile the Java glue; three 10 s measurements give ≥ 10 batches each.
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 10)
// One fork: the checkpoint build and load (~1 GB of weights) dominates a fork, and PyTorch's kernels do
// not depend on JIT profiles, so fork-to-fork variance is small against the cost of another fork.
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dai.djl.offline=true"})
@State(Scope.Benchmark)
public class FeatureExtractionBenchmark {
    /** Images in one forward pass. */
    @Param({"1", "8"})
    public int batch;

    /** Instruction tokens fed to the Q-Former with the queries (0: plain BLIP-2 features). */
    @Param({"0", "16"})
    public int instructionTokens;

    private Path tempDir;
    private BlipFeatureExtractor extractor;
    private NDManager trialManager;
    private NDArray pixels; // (batch, 3, size, size)
    private long[][] ids; // (batch, instructionTokens) or null
    private long[][] mask; // (batch, instructionTokens) or null
    private double gflopPerImage;

    /** Images per second, reported by JMH as a secondary result. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Images {
        /** Images processed. */
        public long images;
    }

    /** Builds or loads the model, the inputs, and prints the FLOP model and the roofline. */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        String given = System.getProperty("vlalign.bench.checkpoint");
        Path dir;
        if (given != null && !given.isBlank()) {
            dir = Path.of(given);
        } else {
            tempDir = Files.createTempDirectory("vlalign-bench-blip");
            dir = writeRandomCheckpoint(tempDir, 768, 12, 12, 3072, 224, 16, 768, 12, 12, 3072, 32, 2);
        }
        try (TorchCheckpoint checkpoint = TorchCheckpoint.open(dir)) {
            Blip2Config config = Blip2Config.fromJson(checkpoint.config());
            if (instructionTokens > 0 && !config.instructionAware()) {
                throw new IllegalStateException(
                        "instructionTokens=" + instructionTokens + " needs an InstructBLIP checkpoint; run"
                                + " -p instructionTokens=0 with " + dir);
            }
            extractor = BlipFeatureExtractor.load(checkpoint, config, null, null);
        }
        Blip2Config c = extractor.config();
        int size = c.vision().imageSize();
        SplittableRandom random = new SplittableRandom(7);
        float[] px = new float[batch * 3 * size * size];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) (random.nextDouble() * 4 - 2);
        }
        trialManager = extractor.newCallManager();
        pixels = trialManager.create(px, new Shape(batch, 3, size, size));
        if (instructionTokens > 0) {
            ids = new long[batch][instructionTokens];
            mask = new long[batch][instructionTokens];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < instructionTokens; t++) {
                    ids[b][t] = 1 + random.nextInt(c.qformer().vocabSize() - 1);
                    mask[b][t] = 1;
                }
            }
        }
        gflopPerImage = flops(c, instructionTokens) / 1e9;
        // check the result once: shape and finite values
        try (NDManager call = extractor.newCallManager()) {
            NDArray out = extractor.queryOutput(call, pixels, ids, mask);
            float[] v = out.toFloatArray();
            if (v.length != batch * c.numQueryTokens() * c.qformer().hiddenSize()) {
                throw new IllegalStateException("unexpected output shape " + out.getShape());
            }
            for (float f : v) {
                if (!Float.isFinite(f)) {
                    throw new IllegalStateException("non-finite feature");
                }
            }
        }
        double roofline = Roofline.matmulGflops();
        System.out.printf(Locale.ROOT,
                "%nFeatureExtraction model: %.2f GFLOP/image (vision %.2f + Q-Former %.2f); roofline"
                        + " matmul 1024^3: %.1f GFLOP/s; images/s at the roofline: %.2f%n",
                gflopPerImage, visionFlops(c) / 1e9, qformerFlops(c, instructionTokens) / 1e9, roofline,
                roofline / gflopPerImage);
    }

    /**
     * Checks that no call left arrays in the trial's manager, which owns the pixel values: the model
     * must put every activation in the call's manager (at batch 8 a leak here grew native memory to
     * 24 GB).
     */
    @TearDown(Level.Iteration)
    public void checkNoLeak() {
        int live = trialManager.getManagedArrays().size();
        if (live != 1) {
            throw new IllegalStateException(live + " arrays live in the trial manager after an iteration; only"
                    + " the pixel values should: a model call attached its activations to its input's manager");
        }
    }

    /** Releases the model and deletes the random checkpoint. */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (trialManager != null) {
            trialManager.close();
        }
        if (extractor != null) {
            extractor.close();
        }
        if (tempDir != null) {
            try (Stream<Path> files = Files.walk(tempDir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * One forward pass of {@code batch} images.
     *
     * @param counter counts images
     * @return a value of the output, so the work is not dead code
     */
    @Benchmark
    public float extract(Images counter) {
        try (NDManager call = extractor.newCallManager()) {
            NDArray out = extractor.queryOutput(call, pixels, ids, mask); // (batch, queries, hidden)
            counter.images += batch;
            return out.get(0, 0, 0).getFloat();
        }
    }

    /** FLOPs of one image: vision encoder plus Q-Former (multiply-add = 2 FLOPs). */
    static double flops(Blip2Config c, int textTokens) {
        return visionFlops(c) + qformerFlops(c, textTokens);
    }

    static double visionFlops(Blip2Config c) {
        double d = c.vision().hiddenSize();
        double f = c.vision().intermediateSize();
        double n = c.vision().numPatches() + 1;
        double patch = 2.0 * c.vision().numPatches() * c.vision().numChannels()
                * c.vision().patchSize() * c.vision().patchSize() * d;
        // per layer: qkv 6nd², scores + context 4n²d, projection 2nd², MLP 4ndf
        double layer = 8 * n * d * d + 4 * n * n * d + 4 * n * d * f;
        return patch + c.vision().numHiddenLayers() * layer;
    }

    static double qformerFlops(Blip2Config c, int textTokens) {
        double h = c.qformer().hiddenSize();
        double f = c.qformer().intermediateSize();
        double q = c.numQueryTokens();
        double l = q + textTokens;
        double n = c.vision().numPatches() + 1;
        double dv = c.vision().hiddenSize();
        double total = 0;
        for (int i = 0; i < c.qformer().numHiddenLayers(); i++) {
            // self-attention over queries + text, then both feed-forwards (query and text rows)
            total += 8 * l * h * h + 4 * l * l * h + 4 * l * h * f;
            if (c.qformer().hasCrossAttention(i)) {
                // queries: q projection and output 4qh², keys/values of the vision states 4n·dv·h, attention 4qnh
                total += 4 * q * h * h + 4 * n * dv * h + 4 * q * n * h;
            }
        }
        return total;
    }

    /**
     * Writes a random InstructBLIP-layout vision + Q-Former checkpoint (no language model) in bf16.
     *
     * @return the folder
     */
    static Path writeRandomCheckpoint(
            Path dir,
            int visionHidden,
            int visionLayers,
            int visionHeads,
            int visionMlp,
            int imageSize,
            int patch,
            int qHidden,
            int qLayers,
            int qHeads,
            int qMlp,
            int queries,
            int crossFrequency) {
        int vocab = 30522;
        int positions = 512;
        SplittableRandom r = new SplittableRandom(1);
        SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
        int patches = (imageSize / patch) * (imageSize / patch);
        add(w, r, "vision_model.embeddings.class_embedding", 1, 1, 1, visionHidden);
        add(w, r, "vision_model.embeddings.patch_embedding.weight", 0.02, visionHidden, 3, patch, patch);
        add(w, r, "vision_model.embeddings.patch_embedding.bias", 0.02, visionHidden);
        add(w, r, "vision_model.embeddings.position_embedding", 0.02, 1, patches + 1, visionHidden);
        for (int i = 0; i < visionLayers; i++) {
            String p = "vision_model.encoder.layers." + i + ".";
            norm(w, p + "layer_norm1", visionHidden);
            add(w, r, p + "self_attn.qkv.weight", 0.02, 3 * visionHidden, visionHidden);
            add(w, r, p + "self_attn.qkv.bias", 0.02, 3 * visionHidden);
            add(w, r, p + "self_attn.projection.weight", 0.02, visionHidden, visionHidden);
            add(w, r, p + "self_attn.projection.bias", 0.02, visionHidden);
            norm(w, p + "layer_norm2", visionHidden);
            add(w, r, p + "mlp.fc1.weight", 0.02, visionMlp, visionHidden);
            add(w, r, p + "mlp.fc1.bias", 0.02, visionMlp);
            add(w, r, p + "mlp.fc2.weight", 0.02, visionHidden, visionMlp);
            add(w, r, p + "mlp.fc2.bias", 0.02, visionHidden);
        }
        norm(w, "vision_model.post_layernorm", visionHidden);
        add(w, r, "query_tokens", 1, 1, queries, qHidden);
        add(w, r, "qformer.embeddings.word_embeddings.weight", 0.02, vocab, qHidden);
        add(w, r, "qformer.embeddings.position_embeddings.weight", 0.02, positions, qHidden);
        norm(w, "qformer.embeddings.layernorm", qHidden);
        for (int i = 0; i < qLayers; i++) {
            String p = "qformer.encoder.layer." + i + ".";
            attention(w, r, p + "attention.", qHidden, qHidden);
            if (i % crossFrequency == 0) {
                attention(w, r, p + "crossattention.", qHidden, visionHidden);
            }
            for (String[] ffn : new String[][] {{"intermediate_query", "output_query"}, {"intermediate", "output"}}) {
                add(w, r, p + ffn[0] + ".dense.weight", 0.02, qMlp, qHidden);
                add(w, r, p + ffn[0] + ".dense.bias", 0.02, qMlp);
                add(w, r, p + ffn[1] + ".dense.weight", 0.02, qHidden, qMlp);
                add(w, r, p + ffn[1] + ".dense.bias", 0.02, qHidden);
                norm(w, p + ffn[1] + ".LayerNorm", qHidden);
            }
        }
        w.write(dir.resolve("model.safetensors"));
        Map<String, Object> vision = new LinkedHashMap<>();
        vision.put("hidden_size", visionHidden);
        vision.put("intermediate_size", visionMlp);
        vision.put("num_hidden_layers", visionLayers);
        vision.put("num_attention_heads", visionHeads);
        vision.put("image_size", imageSize);
        vision.put("patch_size", patch);
        Map<String, Object> qformer = new LinkedHashMap<>();
        qformer.put("hidden_size", qHidden);
        qformer.put("intermediate_size", qMlp);
        qformer.put("num_hidden_layers", qLayers);
        qformer.put("num_attention_heads", qHeads);
        qformer.put("cross_attention_frequency", crossFrequency);
        qformer.put("encoder_hidden_size", visionHidden);
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "instructblip");
        config.put("architectures", java.util.List.of("InstructBlipForConditionalGeneration"));
        config.put("num_query_tokens", queries);
        config.put("vision_config", vision);
        config.put("qformer_config", qformer);
        try {
            Files.writeString(dir.resolve("config.json"), new Gson().toJson(config));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static void attention(SafetensorsWriter w, SplittableRandom r, String p, int h, int kv) {
        add(w, r, p + "attention.query.weight", 0.02, h, h);
        add(w, r, p + "attention.query.bias", 0.02, h);
        add(w, r, p + "attention.key.weight", 0.02, h, kv);
        add(w, r, p + "attention.key.bias", 0.02, h);
        add(w, r, p + "attention.value.weight", 0.02, h, kv);
        add(w, r, p + "attention.value.bias", 0.02, h);
        add(w, r, p + "output.dense.weight", 0.02, h, h);
        add(w, r, p + "output.dense.bias", 0.02, h);
        norm(w, p + "output.LayerNorm", h);
    }

    private static void norm(SafetensorsWriter w, String prefix, int n) {
        float[] ones = new float[n];
        java.util.Arrays.fill(ones, 1f);
        w.addBf16(prefix + ".weight", ones, n);
        w.addBf16(prefix + ".bias", new float[n], n);
    }

    private static void add(SafetensorsWriter w, SplittableRandom r, String name, double std, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            // uniform with the given standard deviation: cheaper than Gaussian for 200M values
            v[i] = (float) ((r.nextDouble() * 2 - 1) * std * Math.sqrt(3));
        }
        w.addBf16(name, v, shape);
    }
}
