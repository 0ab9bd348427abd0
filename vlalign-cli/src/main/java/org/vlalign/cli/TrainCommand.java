package org.vlalign.cli;

import org.vlalign.LoadOptions;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vlalign.VlalignException;
import org.vlalign.core.train.DatasetMix;
import org.vlalign.core.train.TextNormalization;
import org.vlalign.core.train.TrainingData;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.core.train.TrainingListener;
import org.vlalign.core.train.TrainingProgress;
import org.vlalign.core.train.WarmupCosineSchedule;
import org.vlalign.train.AdamW;
import org.vlalign.train.AdaptorObjective;
import org.vlalign.train.FeatureCache;
import org.vlalign.train.TrainableAdaptor;
import org.vlalign.train.TrainingCheckpoint;
import org.vlalign.train.TrainingConfig;
import org.vlalign.train.TrainingLoop;
import org.vlalign.train.TrainingResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign train}: trains an adaptor between a frozen feature extractor and a frozen Llama language model,
 * the reference system's two-stage method ({@code --stage align} on image–caption pairs, then {@code --stage
 * instruct} on (image, query, answer) triples), with the {@link AdaptorObjective} in {@code vlalign-train}'s
 * {@link TrainingLoop}.
 *
 * <p>Image features are computed once into {@code OUT/features/} ({@link FeatureCache}); checkpoints ({@code
 * checkpoint.safetensors}), the loss log ({@code loss.csv}) and the final {@code adaptor.safetensors} go to
 * {@code --out}. A run stopped by {@code --time-budget} or {@code --max-steps} continues with {@code --resume}
 * and the same arguments. Progress goes to standard error; the summary to standard output. Not thread-safe:
 * one instance per command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "train",
        header = "Train an adaptor between a frozen vision model and a frozen Llama.",
        description = {
            "Train only the adaptor (linear, or LLaVA's MLP) that maps image features",
            "into the language model, by causal-LM loss on the answers; the vision",
            "model and the language model stay frozen. Use --vision and --lm (BLIP-2 +",
            "Llama-2, the reference system) or --model with a composed checkpoint",
            "(InstructBLIP, LLaVA). Writes checkpoints, loss.csv and",
            "adaptor.safetensors to --out; a stopped run continues with --resume."
        },
        footer = {"", "Examples:",
            "  vlalign train --vision models/blip2 --lm models/llama-2-chat \\",
            "      --stage align --data captions_train2017.json \\",
            "      --images coco/train2017 --out run1 --time-budget 8h",
            "  vlalign train --vision models/blip2 --lm models/llama-2-chat \\",
            "      --stage instruct --data instruct.jsonl \\",
            "      --mix vqa=0.6,relation=0.2,description=0.2 \\",
            "      --adaptor-init run1/adaptor.safetensors --out run2"})
final class TrainCommand implements Callable<Integer> {

    /** The loss log's file name in {@code --out}. */
    static final String LOSS_LOG = "loss.csv";
    /** The feature cache's folder name in {@code --out}. */
    static final String FEATURE_CACHE = "features";

    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)([hms])");
    private static final Pattern MIX_ENTRY = Pattern.compile("\\s*([^=,\\s]+)\\s*=\\s*([0-9.eE+-]+)\\s*");

    /** The stage names; each sets the default learning-rate schedule. */
    static final String ALIGN = "align";
    static final String INSTRUCT = "instruct";

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin PartsOptions parts;

    @Option(names = "--stage", paramLabel = "STAGE", defaultValue = ALIGN, description = "align (LR 1e-6 -> 1e-4 over the first epoch, cosine to 8e-5) or instruct"
            + " (1e-6 -> 3e-5, cosine to 1e-5): sets the default schedule (default: ${DEFAULT-VALUE}).")
    String stage;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Training data: JSONL ({\"image\", \"query\", \"answer\", \"type\"} per line)"
            + " or COCO captions JSON (captions_train2017.json, with --images).")
    Path data;

    @Option(names = "--images", paramLabel = "DIR",
            description = "Folder that image paths are relative to (default: the data file's folder).")
    Path images;

    @Option(names = "--mix", paramLabel = "TYPE=W,...",
            description = "Mix JSONL examples by their \"type\", e.g. vqa=0.6,relation=0.2,description=0.2.")
    String mix;

    @Mixin TemplateOption template;

    @Option(names = "--adaptor-init", paramLabel = "FILE",
            description = "Start from this adaptor (e.g. the stage-1 adaptor.safetensors).")
    Path adaptorInit;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Run folder: checkpoints, loss.csv, feature cache, adaptor.safetensors.")
    Path out;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "1",
            description = "Passes over the data (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "4",
            description = "Examples per forward/backward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", paramLabel = "N", defaultValue = "1",
            description = "Micro-batches per optimiser step (default: ${DEFAULT-VALUE}).")
    int gradAccum;

    @Option(names = "--lr-start", paramLabel = "LR", description = "Learning rate at step 0 (stage default).")
    Double lrStart;

    @Option(names = "--lr-peak", paramLabel = "LR", description = "Learning rate after warm-up (stage default).")
    Double lrPeak;

    @Option(names = "--lr-final", paramLabel = "LR", description = "Learning rate at the end (stage default).")
    Double lrFinal;

    @Option(names = "--warmup-steps", paramLabel = "N",
            description = "Warm-up optimiser steps (default: one epoch).")
    Long warmupSteps;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "0.01",
            description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--clip-norm", paramLabel = "N", defaultValue = "1.0",
            description = "Clip the gradient to this global norm, 0 for none (default: ${DEFAULT-VALUE}).")
    double clipNorm;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seed of initialisation, shuffling and mixing (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "0",
            description = "Write a checkpoint every N optimiser steps (default: only at the end or stop).")
    long checkpointEvery;

    @Option(names = "--time-budget", paramLabel = "DURATION",
            description = "Stop with a checkpoint before this much training time (after feature caching),"
                    + " e.g. 30m, 8h, 1h30m.")
    String timeBudget;

    @Option(names = "--max-steps", paramLabel = "N", defaultValue = "0",
            description = "Stop with a checkpoint after N optimiser steps in total (0: no limit).")
    long maxSteps;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint (same arguments).")
    boolean resume;

    @Option(names = "--lowercase", description = "Lower-case queries and answers.")
    boolean lowercase;

    @Option(names = "--strip-punctuation", description = "Remove punctuation from queries and answers.")
    boolean stripPunctuation;

    @Override
    public Integer call() {
        parts.check(spec);
        Duration budget = validate();
        Path runDir = out.toAbsolutePath().normalize();
        Path checkpoint = runDir.resolve(TrainingCheckpoint.FILE_NAME);
        if (resume && !Files.isRegularFile(checkpoint)) {
            throw new VlalignException("--resume: no " + TrainingCheckpoint.FILE_NAME + " in " + runDir
                    + "; run without --resume to start training, or pass the --out of the interrupted run.");
        }
        if (!resume && Files.exists(checkpoint)) {
            throw new ParameterException(spec.commandLine(), "--out " + runDir + " already holds a training run ("
                    + TrainingCheckpoint.FILE_NAME + "); pass --resume to continue it, or choose another --out.");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<TrainingExample> examples = loadExamples();
        err.println("Training data: " + examples.size() + " examples from " + data.toAbsolutePath().normalize());
        err.flush();
        try (ModelParts loaded = parts.load(err, LoadOptions.builder().trainable(true).build())) {
            FeatureCache cache =
                    new FeatureCache(runDir.resolve(FEATURE_CACHE), loaded.extractor(), loaded.fingerprint());
            precompute(cache, examples, err);
            int width = cache.features(examples.get(0)).cols();
            int hidden = loaded.languageModel().hiddenSize();
            TrainingConfig config = config(budget, runDir);
            try (TrainableAdaptor adaptor = newAdaptor(loaded, width, hidden);
                    TrainingLoop<TrainingExample> trainer = TrainingLoop.create(AdaptorObjective.create(
                            loaded.languageModel(), loaded.wrapper(template.name), adaptor, cache), config)) {
                long totalSteps = trainer.epochOrder(examples).plan().totalSteps();
                err.printf(Locale.ROOT, "%s adaptor %d -> %d; %d optimiser steps of %d examples; stage %s%n",
                        adaptor.kind(), adaptor.inputDim(), adaptor.outputDim(), totalSteps,
                        config.effectiveBatchSize(), stage);
                err.flush();
                trainer.addListener(new ProgressPrinter(err, totalSteps));
                TrainingResult result = resume ? trainer.resume(checkpoint, examples) : trainer.train(examples);
                if (result.completed()) {
                    adaptor.export(runDir.resolve(AdaptorObjective.ADAPTOR_FILE));
                }
                report(result, runDir, stdout);
            }
        }
        return 0;
    }

    private Duration validate() {
        if (epochs < 1 || batchSize < 1 || gradAccum < 1) {
            throw usage("--epochs, --batch-size and --grad-accum must be at least 1 but were " + epochs + ", "
                    + batchSize + ", " + gradAccum);
        }
        if (checkpointEvery < 0 || maxSteps < 0 || (warmupSteps != null && warmupSteps < 0)) {
            throw usage("--checkpoint-every, --max-steps and --warmup-steps must be >= 0");
        }
        if (!(clipNorm >= 0) || !(weightDecay >= 0)) {
            throw usage("--clip-norm and --weight-decay must be >= 0 but were " + clipNorm + ", " + weightDecay);
        }
        for (Double lr : new Double[] {lrStart, lrPeak, lrFinal}) {
            if (lr != null && !(lr >= 0 && Double.isFinite(lr))) {
                throw usage("learning rates must be finite and >= 0 but one is " + lr);
            }
        }
        if (!stage.equals(ALIGN) && !stage.equals(INSTRUCT)) {
            throw usage("--stage must be " + ALIGN + " or " + INSTRUCT + " but was '" + stage + "'");
        }
        if (mix != null) {
            parseMix(mix);
        }
        template.check();
        return timeBudget == null ? null : parseDuration(timeBudget);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** Parses {@code 30m}, {@code 8h}, {@code 1h30m}, {@code 90s} or an ISO-8601 duration ({@code PT30M}). */
    Duration parseDuration(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("pt") || s.startsWith("p")) {
            try {
                return positive(Duration.parse(s.toUpperCase(Locale.ROOT)), text);
            } catch (DateTimeParseException e) {
                throw usage("--time-budget '" + text + "' is not a duration; use e.g. 30m, 8h, 1h30m or 90s");
            }
        }
        Matcher m = DURATION_PART.matcher(s);
        int end = 0;
        double seconds = 0;
        while (m.find() && m.start() == end) {
            double v = Double.parseDouble(m.group(1));
            seconds += v * switch (m.group(2)) {
                case "h" -> 3600;
                case "m" -> 60;
                default -> 1;
            };
            end = m.end();
        }
        if (end == 0 || end != s.length()) {
            throw usage("--time-budget '" + text + "' is not a duration; use e.g. 30m, 8h, 1h30m or 90s");
        }
        return positive(Duration.ofMillis(Math.round(seconds * 1000)), text);
    }

    private Duration positive(Duration d, String text) {
        if (d.isZero() || d.isNegative()) {
            throw usage("--time-budget must be positive but was '" + text + "'");
        }
        return d;
    }

    /** Parses {@code type=weight,...} in order. */
    Map<String, Double> parseMix(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String entry : text.split(",")) {
            Matcher m = MIX_ENTRY.matcher(entry);
            double w;
            try {
                w = m.matches() ? Double.parseDouble(m.group(2)) : Double.NaN;
            } catch (NumberFormatException e) {
                w = Double.NaN;
            }
            if (!(w >= 0) || Double.isInfinite(w) || out.containsKey(m.group(1))) {
                throw usage("--mix '" + text + "' must be TYPE=WEIGHT pairs with distinct types and weights >= 0,"
                        + " e.g. vqa=0.6,relation=0.2,description=0.2");
            }
            out.put(m.group(1), w);
        }
        if (out.values().stream().mapToDouble(Double::doubleValue).sum() <= 0) {
            throw usage("--mix '" + text + "' needs at least one positive weight");
        }
        return out;
    }

    private List<TrainingExample> loadExamples() {
        Path file = data.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new VlalignException("--data " + file + " does not exist or is not a file; pass a JSONL file or"
                    + " a COCO captions JSON file.");
        }
        TextNormalization norm = new TextNormalization(lowercase, stripPunctuation);
        Path root = images != null ? images.toAbsolutePath().normalize() : file.getParent();
        List<TrainingExample> examples;
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl")) {
            examples = TrainingData.readJsonl(file, root, norm);
        } else {
            if (!isCocoCaptions(file)) {
                throw new VlalignException("--data " + file + " is neither JSONL (.jsonl) nor COCO captions JSON"
                        + " ({\"images\": [...], \"annotations\": [...]}); convert it to one of these.");
            }
            if (images == null) {
                throw usage("--data " + file + " is COCO captions: pass --images with the folder of its images");
            }
            examples = TrainingData.readCocoCaptions(file, root, norm);
            if (mix != null) {
                throw usage("--mix needs JSONL data with a \"type\" per line; COCO captions are all type caption");
            }
        }
        if (examples.isEmpty()) {
            throw new VlalignException("--data " + file + " holds no examples; training needs at least one.");
        }
        return mix == null ? examples : mixed(examples, parseMix(mix));
    }

    private static boolean isCocoCaptions(Path file) {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement root = JsonParser.parseReader(r);
            return root.isJsonObject() && root.getAsJsonObject().has("annotations");
        } catch (IOException | JsonParseException e) {
            throw new VlalignException("cannot read --data " + file + ": " + e.getMessage()
                    + "; pass a JSONL file (name ending in .jsonl) or a COCO captions JSON file", e);
        }
    }

    private List<TrainingExample> mixed(List<TrainingExample> examples, Map<String, Double> weights) {
        Map<String, List<TrainingExample>> byType = new LinkedHashMap<>();
        for (TrainingExample e : examples) {
            byType.computeIfAbsent(e.type(), k -> new ArrayList<>()).add(e);
        }
        List<List<TrainingExample>> sources = new ArrayList<>();
        double[] ratios = new double[weights.size()];
        int size = 0;
        int i = 0;
        for (Map.Entry<String, Double> w : weights.entrySet()) {
            List<TrainingExample> src = byType.get(w.getKey());
            if (src == null && w.getValue() > 0) {
                throw new VlalignException("--mix names type '" + w.getKey() + "' but " + data + " has no example of"
                        + " that type; types present: " + byType.keySet());
            }
            sources.add(src == null ? List.of() : src);
            size += src == null ? 0 : src.size();
            ratios[i++] = w.getValue();
        }
        return DatasetMix.mix(sources, ratios, size, seed);
    }

    private static void precompute(FeatureCache cache, List<TrainingExample> examples, PrintWriter err) {
        ProgressBar bar = new ProgressBar(err, System.console() != null, "images");
        for (int i = 0; i < examples.size(); i++) {
            cache.features(examples.get(i));
            bar.update(i + 1, examples.size(), examples.get(i).image().getFileName().toString());
        }
        bar.finish();
    }

    private TrainableAdaptor newAdaptor(ModelParts parts, int width, int hidden) {
        if (adaptorInit != null) {
            Path file = adaptorInit.toAbsolutePath().normalize();
            if (!Files.exists(file)) {
                throw new VlalignException("--adaptor-init " + file + " does not exist; pass the adaptor.safetensors"
                        + " of the previous stage.");
            }
            return TrainableAdaptor.load(file);
        }
        return parts.composedAdaptorIsMlp()
                ? TrainableAdaptor.mlp(width, hidden, hidden, seed)
                : TrainableAdaptor.linear(width, hidden, seed);
    }

    private TrainingConfig config(Duration budget, Path runDir) {
        WarmupCosineSchedule defaults = stage.equals(ALIGN)
                ? WarmupCosineSchedule.alignment(1, 1)
                : WarmupCosineSchedule.instruction(1, 1);
        double start = lrStart != null ? lrStart : defaults.startLr();
        double peak = lrPeak != null ? lrPeak : defaults.peakLr();
        double end = lrFinal != null ? lrFinal : defaults.finalLr();
        Long warmup = warmupSteps;
        return TrainingConfig.builder()
                .epochs(epochs)
                .microBatchSize(batchSize)
                .gradientAccumulation(gradAccum)
                .schedule((perEpoch, total) -> {
                    long w = warmup != null ? warmup : perEpoch;
                    return new WarmupCosineSchedule(start, peak, w, Math.max(w, total), end);
                })
                .adamW(new AdamW.Options(AdamW.Options.DEFAULT.beta1(), AdamW.Options.DEFAULT.beta2(),
                        AdamW.Options.DEFAULT.eps(), weightDecay))
                .maxGradNorm(clipNorm)
                .seed(seed)
                .checkpointDir(runDir)
                .checkpointEvery(checkpointEvery)
                .wallTimeBudget(budget)
                .stopAfterSteps(maxSteps)
                .lossLog(runDir.resolve(LOSS_LOG))
                .build();
    }

    private void report(TrainingResult result, Path runDir, PrintWriter stdout) {
        List<Double> losses = result.losses();
        double last = losses.isEmpty() ? Double.NaN : losses.get(losses.size() - 1);
        double first = firstLoggedLoss(runDir.resolve(LOSS_LOG), losses.isEmpty() ? Double.NaN : losses.get(0));
        if (losses.isEmpty()) {
            stdout.println("The run in " + runDir + " was already complete; nothing was trained.");
        }
        if (result.completed()) {
            stdout.println("Adaptor: " + runDir.resolve(AdaptorObjective.ADAPTOR_FILE));
        } else {
            stdout.printf(Locale.ROOT, "Stopped at step %d of %d (%s); checkpoint %s. Rerun with --resume to"
                    + " continue.%n", result.step(), result.totalSteps(),
                    result.stopReason() == TrainingResult.StopReason.WALL_TIME_BUDGET ? "time budget" : "--max-steps",
                    result.checkpoint().map(Path::toString).orElse("(none)"));
        }
        stdout.println("Loss log: " + runDir.resolve(LOSS_LOG));
        stdout.printf(Locale.ROOT, "Steps: %d of %d; loss initial %.4f, final %.4f%n", result.step(),
                result.totalSteps(), first, last);
        stdout.flush();
    }

    /** The loss of the run's first logged step (so a resumed run reports the whole run's start). */
    private static double firstLoggedLoss(Path log, double fallback) {
        try (var lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.skip(1).findFirst().map(l -> Double.parseDouble(l.split(",")[3])).orElse(fallback);
        } catch (IOException | RuntimeException e) {
            return fallback;
        }
    }

    /** Prints a progress line per step for short runs, about fifty lines for long ones, and every 30 s. */
    static final class ProgressPrinter implements TrainingListener {
        private final PrintWriter err;
        private final long every;
        private long lastPrint = System.nanoTime();

        ProgressPrinter(PrintWriter err, long totalSteps) {
            this.err = err;
            this.every = Math.max(1, totalSteps / 50);
        }

        @Override
        public void onStep(TrainingProgress p) {
            long now = System.nanoTime();
            if (p.step() % every != 0 && p.step() != p.totalSteps() && p.step() != 1
                    && now - lastPrint < 30_000_000_000L) {
                return;
            }
            lastPrint = now;
            long eta = p.eta().toSeconds();
            err.printf(Locale.ROOT, "step %d/%d  epoch %d  loss %.4f  lr %.3g  %.1f ex/s  ETA %d:%02d:%02d%n",
                    p.step(), p.totalSteps(), p.epoch() + 1, p.loss(), p.learningRate(), p.examplesPerSecond(),
                    eta / 3600, eta / 60 % 60, eta % 60);
            err.flush();
        }

        @Override
        public void onCheckpoint(Path checkpoint, long step) {
            err.println("checkpoint at step " + step + ": " + checkpoint);
            err.flush();
        }
    }
}
