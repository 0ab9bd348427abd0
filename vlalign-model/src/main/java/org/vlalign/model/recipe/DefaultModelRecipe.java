package org.vlalign.model.recipe;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.stream.LongStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlalignException;
import org.vlalign.PromptWrapper;
import org.vlalign.core.metrics.RetrievalEvaluator;
import org.vlalign.core.prompt.ImagePrefixPromptWrapper;
import org.vlalign.core.train.AnswerEvaluator;
import org.vlalign.core.train.FeatureSource;
import org.vlalign.core.train.LearningRateSchedule;
import org.vlalign.core.train.TextNormalization;
import org.vlalign.core.train.TrainingData;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.core.train.TrainingProgress;
import org.vlalign.core.train.WarmupCosineSchedule;
import org.vlalign.model.world.QaType;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.model.world.WorldExport;
import org.vlalign.model.world.WorldScores;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.llm.LoraAdapter;
import org.vlalign.llm.LoraConfig;
import org.vlalign.torch.internal.llama.LlamaLanguageModel;
import org.vlalign.torch.internal.llama.LlamaLora;
import org.vlalign.train.AdaptorObjective;
import org.vlalign.train.ContextAnswer;
import org.vlalign.train.ContrastiveObjective;
import org.vlalign.train.FeatureCache;
import org.vlalign.train.ImageLabels;
import org.vlalign.train.ImageText;
import org.vlalign.train.LanguageModelObjective;
import org.vlalign.train.Objective;
import org.vlalign.train.TrainableAdaptor;
import org.vlalign.train.TrainingConfig;
import org.vlalign.train.TrainingLoop;
import org.vlalign.train.VisionLabelObjective;

/**
 * The one-command recipe that trains vlalign's embedded default model on the synthetic world, the
 * reference system's way, with the SDK's own model classes.
 *
 * <ol>
 *   <li>World export: {@code data/train} and {@code data/test} folders ({@link WorldExport}).
 *   <li>Stage 1 (BLIP-2's first stage): a random {@code Blip2ForImageTextRetrieval} (ViT + Q-Former) whose
 *       image side first learns, read through the Q-Former's queries, which kind and colour is in each cell and
 *       which colour is on which kind ({@link VisionLabelObjective}, standing in for BLIP-2's pre-trained image
 *       encoder), then, its tower frozen, trained with
 *       the image–text contrastive loss plus image–text matching against hard negatives that change one detail
 *       of the located caption and image-grounded captioning ({@link ContrastiveObjective.Losses}) → {@code
 *       blip2/}; then the extractor gate: linear probes for shape-of-colour and cell-of-shape
 *       ({@link ExtractorProbes}, ≥ 0.9). Ten progress lines during the stage give the same probes on a sixth of
 *       the scenes and the captioning loss per attribute word ({@link ExtractorProbes#captionReading}).
 *   <li>Stage 2 (LM): a random {@code LlamaForCausalLM} ({@link RandomCheckpoints.LlamaSpec#small()}) pre-trained
 *       with the next-token loss weighted toward answers ({@link LanguageModelObjective#answerWeighted}), first on
 *       reading drills ({@link WorldData#readingDrills}), then on drills (sizes and two-word names too, {@link
 *       WorldData#twoWordDrills}) and the scenes' attribute questions in turns after their descriptions, then on
 *       every question type and captions → {@code llama/}; then the
 *       reading gate: given a held-out gold description and a question, ≥ 0.95 exact match on every attribute
 *       type ({@link ReadingGate}). A failed gate stops the recipe before the
 *       adaptor stages unless {@code --gates report}.
 *   <li>Stages 3 and 4: with both frozen, a linear adaptor trained on captions with an empty query, then
 *       on instructions, with the SDK's {@link AdaptorObjective} and the image-prefix prompt
 *       ({@code <s> [image embeddings] query}, where the language model's pre-training texts had the scene's
 *       description) → {@code adaptor.safetensors}; optionally ({@code --lora-rank R}) a further pass that
 *       trains LoRA adapters on the language model beside the adaptor → {@code lora/} (PEFT layout; load with
 *       {@code LoadOptions.lora}).
 * </ol>
 *
 * <p>Every stage runs in the one {@link TrainingLoop} of {@code vlalign-train}; stages 1 and 2 draw their
 * batches from a seeded stream ({@link TrainOptions#order}), stages 3 and 4 in seeded epochs.
 *
 * <p>It writes {@code metrics.json} (command, seeds, data sizes, losses, search Recall@1/5/10 on held-out
 * test scenes, held-out exact match per question type after stage 3 and after stage 4 with the relationship and
 * description scores of {@link WorldScores}, the gates, times) and
 * {@code RECIPE.md}. The folders load with {@code BlipFeatureExtractor.load}, {@code LlamaLanguageModel.load}
 * and compose with {@code TorchModels.builder().featureExtractor(blip2).adaptor(adaptor).languageModel(llama)}.
 *
 * <p>Flags (all optional): {@code --out DIR} (default {@code default-model}), {@code --world-seed N} (1),
 * {@code --seed N} (weights and data order, 7), {@code --size small|tiny} (small), {@code --train-images N}
 * (20000), {@code --test-images N} (500), {@code --itc-steps N} (1000), {@code --itc-batch N} (64),
 * {@code --itc-lr X} (5e-4), {@code --lm-steps N} (4000), {@code --lm-batch N} (32), {@code --lm-lr X}
 * (2e-3), {@code --align-epochs N} (1), {@code --instruct-epochs N} (1), {@code --adaptor-batch N} (16),
 * {@code --align-lr X} (1e-3), {@code --instruct-lr X} (3e-4), {@code --adaptor-examples N} (0 = all),
 * {@code --eval-questions N} (700), {@code --stages itc,lm,adaptor} (all; see {@link Settings#stages()}),
 * {@code --itm-weight X} (1), {@code --itg-weight X} (1), {@code --probe-scenes N} (6000), {@code
 * --lm-context-weight X} (0.1), {@code --lm-drill-steps N} (800), {@code --lm-language-steps N} (1000), {@code
 * --gate-scenes N} (200), {@code --gates enforce|report} (enforce), {@code --lora-rank R} (0 = no LoRA stage),
 * {@code --itc-hard-negatives true|false} (true: the world's near-miss captions join the contrastive loss, see
 * {@link ContrastiveObjective.Losses#contrastHardNegatives()}), {@code --lm-turns N} (8: questions per text after
 * a scene's description, see {@link WorldData#questionTurns}), {@code --vision-steps N} (12000: steps pre-training
 * the image side, read through the Q-Former's queries, on which kind and colour is in each cell and which colour
 * is on which kind, before stage 1's losses; 0 skips them), {@code --vision-lr X} (1e-3) and {@code
 * --tune-queries true|false} (false: with true, the last stage also trains the Q-Former's query path, see
 * {@link Settings#tuneQueries()}; the stage runs when this or {@code --lora-rank} asks for it). PyTorch runs
 * one intra-op thread unless {@code -Dai.djl.pytorch.num_threads} is given. Run with
 * {@code java -cp <vlalign-model and its dependencies> org.vlalign.model.recipe.DefaultModelRecipe --out DIR}. It
 * logs its progress at info level; a class path whose {@code simplelogger.properties} sets warn (the CLI jar's
 * does) hides it unless {@code -Dorg.slf4j.simpleLogger.defaultLogLevel=info} is given.
 *
 * <p>Not thread-safe; run one recipe per output folder.
 *
 * @since 0.1.0
 */
public final class DefaultModelRecipe {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultModelRecipe.class);

    /** The ITC softmax temperature (BLIP-2's initial value). */
    static final double TEMPERATURE = 0.07;
    /** Held-out predictions recorded in {@code metrics.json} (greedy, at most {@value #MAX_NEW_TOKENS} new tokens). */
    static final int SAMPLES = 8;
    /** The generation budget of evaluation answers. */
    static final int MAX_NEW_TOKENS = 48;
    /**
     * The folder of the extractor tuned with {@code --tune-queries}: the model answers from it and searches
     * with {@code blip2/}, as BLIP-2 ships its retrieval and generation Q-Formers apart.
     */
    public static final String ANSWER_EXTRACTOR = "blip2-answer";
    /** DJL's PyTorch intra-op thread count; the recipe defaults it to 1 unless set. */
    static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

    /**
     * The recipe's settings.
     *
     * <p>Instances are immutable and thread-safe.
     *
     * @param out the output folder
     * @param worldSeed the world seed
     * @param seed the seed of weights and data order
     * @param tiny whether to use the tiny test sizes instead of the default model's
     * @param trainImages training scenes
     * @param testImages held-out test scenes
     * @param itcSteps contrastive steps
     * @param itcBatch contrastive batch size
     * @param itcLr contrastive peak learning rate
     * @param lmSteps language-model steps
     * @param lmBatch language-model batch size
     * @param lmLr language-model peak learning rate
     * @param alignEpochs adaptor epochs on captions
     * @param instructEpochs adaptor epochs on instructions
     * @param adaptorBatch adaptor micro-batch size
     * @param alignLr peak learning rate of the caption stage
     * @param instructLr peak learning rate of the instruction stage
     * @param adaptorExamples at most this many caption and this many instruction examples (evenly spaced) for
     *     the adaptor stages, 0 for all
     * @param evalQuestions held-out questions scored before and after the instruction stage
     * @param stages the stages to run ({@link #STAGES}); a skipped stage's output folder and metrics are
     *     read from an earlier run into the same {@code out}
     * @param itmWeight weight of image–text matching with hard negatives beside the contrastive loss (0: none)
     * @param itgWeight weight of image-grounded captioning beside the contrastive loss (0: none)
     * @param probeScenes training scenes the extractor's linear probes fit on (half as many, at most 1,000,
     *     score them; the progress lines fit on a sixth). A probe has one colour's or kind's items of these,
     *     a few hundred rows of 2,048 features at 1,000 scenes, too few to find all the features carry: on one
     *     checkpoint cell-of-shape read 0.38 fitted on 1,000 scenes and 0.45 on 6,000
     * @param lmContextWeight weight of context tokens in the language model's loss (answers weigh 1)
     * @param lmDrillSteps language-model steps on reading drills alone before {@code lmSteps} on drills and
     *     attribute questions
     * @param lmLanguageSteps language-model steps after {@code lmSteps}, at a quarter of the learning rate, on
     *     drills, questions of every type and captions
     * @param gateScenes held-out scenes of the reading gate
     * @param enforceGates whether a failed gate stops the recipe before the adaptor stages
     * @param loraRank rank of the optional LoRA stage on the language model after the instruction stage (0: none)
     * @param itcHardNegatives whether the world's near-miss captions also join the contrastive loss
     * @param lmTurns questions per language-model text after the scene's description, drawn with replacement
     * @param visionSteps steps pre-training the extractor's vision tower on the scenes' labels before stage 1
     *     ({@link WorldData#sceneLabels}; 0: none)
     * @param visionLr peak learning rate of those steps
     * @param tuneQueries whether the last stage also trains the extractor's Q-Former query path on the
     *     instructions (InstructBLIP's instruction tuning), saved as {@value #ANSWER_EXTRACTOR} while the
     *     stage-1 extractor stays the search side
     * @since 0.1.0
     */
    public record Settings(Path out, long worldSeed, long seed, boolean tiny, int trainImages, int testImages,
            long itcSteps, int itcBatch, double itcLr, long lmSteps, int lmBatch, double lmLr, int alignEpochs,
            int instructEpochs, int adaptorBatch, double alignLr, double instructLr, int adaptorExamples,
            int evalQuestions, Set<String> stages, double itmWeight, double itgWeight, int probeScenes,
            double lmContextWeight, long lmDrillSteps, long lmLanguageSteps, int gateScenes, boolean enforceGates,
            int loraRank, boolean itcHardNegatives, int lmTurns, long visionSteps, double visionLr,
            boolean tuneQueries) {
        /** The stage names {@code --stages} accepts, in the order they run. */
        public static final List<String> STAGES = List.of("itc", "lm", "adaptor");

        /** Copies the stage set and checks the turns. */
        public Settings {
            stages = Set.copyOf(stages);
            if (lmTurns < 1) {
                throw new InvalidArgumentException("--lm-turns must be at least 1 but was " + lmTurns);
            }
        }

        /**
         * Parses command-line flags over the defaults.
         *
         * @param args {@code --name value} pairs
         * @return the settings
         * @throws InvalidArgumentException for an unknown flag or a malformed value
         */
        public static Settings parse(String... args) {
            Map<String, String> f = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new InvalidArgumentException("expected '--flag value' pairs but got '" + args[i]
                            + "'; see the DefaultModelRecipe Javadoc for the flags");
                }
                f.put(args[i].substring(2), args[i + 1]);
            }
            List<String> known = List.of("out", "world-seed", "seed", "size", "train-images", "test-images",
                    "itc-steps", "itc-batch", "itc-lr", "lm-steps", "lm-batch", "lm-lr", "align-epochs",
                    "instruct-epochs", "adaptor-batch", "align-lr", "instruct-lr", "adaptor-examples",
                    "eval-questions", "stages", "itm-weight", "itg-weight", "probe-scenes", "lm-context-weight",
                    "lm-drill-steps", "lm-language-steps", "gate-scenes", "gates", "lora-rank",
                    "itc-hard-negatives", "lm-turns", "vision-steps", "vision-lr", "tune-queries");
            for (String k : f.keySet()) {
                if (!known.contains(k)) {
                    throw new InvalidArgumentException("unknown flag --" + k + "; known flags: " + known);
                }
            }
            String size = f.getOrDefault("size", "small");
            if (!size.equals("small") && !size.equals("tiny")) {
                throw new InvalidArgumentException("--size must be 'small' or 'tiny' but was '" + size + "'");
            }
            Set<String> stages = new LinkedHashSet<>(List.of(f.getOrDefault("stages", String.join(",", STAGES))
                    .split(",")));
            if (stages.isEmpty() || !STAGES.containsAll(stages)) {
                throw new InvalidArgumentException("--stages takes a comma-separated subset of " + STAGES
                        + " but was '" + f.get("stages") + "'");
            }
            String gates = f.getOrDefault("gates", "enforce");
            if (!gates.equals("enforce") && !gates.equals("report")) {
                throw new InvalidArgumentException("--gates must be 'enforce' or 'report' but was '" + gates + "'");
            }
            String hardNegatives = f.getOrDefault("itc-hard-negatives", "true");
            if (!hardNegatives.equals("true") && !hardNegatives.equals("false")) {
                throw new InvalidArgumentException("--itc-hard-negatives must be 'true' or 'false' but was '"
                        + hardNegatives + "'");
            }
            String tuneQueries = f.getOrDefault("tune-queries", "false");
            if (!tuneQueries.equals("true") && !tuneQueries.equals("false")) {
                throw new InvalidArgumentException("--tune-queries must be 'true' or 'false' but was '"
                        + tuneQueries + "'");
            }
            try {
                return new Settings(Path.of(f.getOrDefault("out", "default-model")),
                        Long.parseLong(f.getOrDefault("world-seed", "1")),
                        Long.parseLong(f.getOrDefault("seed", "7")),
                        size.equals("tiny"),
                        Integer.parseInt(f.getOrDefault("train-images", "20000")),
                        Integer.parseInt(f.getOrDefault("test-images", "500")),
                        Long.parseLong(f.getOrDefault("itc-steps", "1000")),
                        Integer.parseInt(f.getOrDefault("itc-batch", "64")),
                        Double.parseDouble(f.getOrDefault("itc-lr", "5e-4")),
                        Long.parseLong(f.getOrDefault("lm-steps", "4000")),
                        Integer.parseInt(f.getOrDefault("lm-batch", "32")),
                        Double.parseDouble(f.getOrDefault("lm-lr", "2e-3")),
                        Integer.parseInt(f.getOrDefault("align-epochs", "1")),
                        Integer.parseInt(f.getOrDefault("instruct-epochs", "1")),
                        Integer.parseInt(f.getOrDefault("adaptor-batch", "16")),
                        Double.parseDouble(f.getOrDefault("align-lr", "1e-3")),
                        Double.parseDouble(f.getOrDefault("instruct-lr", "3e-4")),
                        Integer.parseInt(f.getOrDefault("adaptor-examples", "0")),
                        Integer.parseInt(f.getOrDefault("eval-questions", "700")),
                        stages,
                        Double.parseDouble(f.getOrDefault("itm-weight", "1")),
                        Double.parseDouble(f.getOrDefault("itg-weight", "1")),
                        Integer.parseInt(f.getOrDefault("probe-scenes", "6000")),
                        Double.parseDouble(f.getOrDefault("lm-context-weight", "0.1")),
                        Long.parseLong(f.getOrDefault("lm-drill-steps", "800")),
                        Long.parseLong(f.getOrDefault("lm-language-steps", "1000")),
                        Integer.parseInt(f.getOrDefault("gate-scenes", "200")),
                        gates.equals("enforce"),
                        Integer.parseInt(f.getOrDefault("lora-rank", "0")),
                        Boolean.parseBoolean(hardNegatives),
                        Integer.parseInt(f.getOrDefault("lm-turns", "8")),
                        Long.parseLong(f.getOrDefault("vision-steps", "12000")),
                        Double.parseDouble(f.getOrDefault("vision-lr", "1e-3")),
                        Boolean.parseBoolean(tuneQueries));
            } catch (NumberFormatException e) {
                throw new InvalidArgumentException("a recipe flag has a malformed number: " + e.getMessage(), e);
            }
        }
    }

    private DefaultModelRecipe() {}

    /**
     * Runs the recipe from the command line.
     *
     * @param args the flags
     * @throws IOException if a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        if (System.getProperty(THREADS_PROPERTY) == null) {
            // Small models on a shared CPU: more intra-op threads were up to 20x slower when other processes ran.
            System.setProperty(THREADS_PROPERTY, "1");
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        }
        Settings s = Settings.parse(args);
        Map<String, Object> metrics = run(s, "DefaultModelRecipe " + String.join(" ", args));
        System.out.println(new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create()
                .toJson(metrics));
    }

    /**
     * Runs every stage and writes the folders, {@code metrics.json} and {@code RECIPE.md}.
     *
     * @param s the settings
     * @param command the command line to record
     * @return the metrics written to {@code metrics.json}
     * @throws IOException if a file cannot be written
     */
    public static Map<String, Object> run(Settings s, String command) throws IOException {
        Instant started = Instant.now();
        Path out = s.out();
        Path work = out.resolve("work");
        Files.createDirectories(work);
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("command", command);
        metrics.put("settings", settingsMap(s));

        World world = World.builder().seed(s.worldSeed()).build();
        Path blipDir = out.resolve("blip2");
        Path llamaDir = out.resolve("llama");
        // Stages 1 and 2 are independent: on a two-core machine run them as two processes (--stages itc and
        // --stages lm into the same --out; DJL allows one gradient collector per process), then --stages
        // adaptor. Each stage records its metrics in work/, which a later run merges.
        if (s.stages().contains("itc")) {
            List<ImageCaptions> trainImages = WorldData.imageCaptions(world, Split.TRAIN, 0, s.trainImages());
            List<ImageCaptions> testImages = WorldData.imageCaptions(world, Split.TEST, 0, s.testImages());
            saveStage(work, "stage1Itc", command, trainRetrieval(s, work, blipDir, world, trainImages, testImages));
        }
        if (s.stages().contains("lm")) {
            saveStage(work, "stage2Lm", command, trainLanguageModel(s, work, llamaDir, world));
        }
        if (!s.stages().contains("adaptor")) {
            return metrics;
        }
        Object itcMetrics = loadStage(work, "stage1Itc"); // fails fast when an earlier stage has not run
        Object lmMetrics = loadStage(work, "stage2Lm");
        checkGates(s, itcMetrics, lmMetrics);
        long t = System.nanoTime();
        Path trainDir = out.resolve("data/train");
        Path testDir = out.resolve("data/test");
        WorldExport.Summary trainSummary = WorldExport.write(trainDir, world, s.trainImages(), Split.TRAIN);
        WorldExport.Summary testSummary = WorldExport.write(testDir, world, s.testImages(), Split.TEST);
        metrics.put("data", Map.of("train", trainSummary, "test", testSummary, "seconds", seconds(t)));
        metrics.put("stage1Itc", itcMetrics);
        metrics.put("stage2Lm", lmMetrics);

        // Stages 3 and 4: adaptor alignment and instructions, both models frozen
        t = System.nanoTime();
        Map<String, Object> adaptorMetrics = new LinkedHashMap<>();
        Path adaptorFile = out.resolve("adaptor.safetensors");
        PromptWrapper wrapper = ImagePrefixPromptWrapper.create();
        try (BlipFeatureExtractor extractor = BlipFeatureExtractor.load(blipDir);
                LlamaLanguageModel languageModel = LlamaLanguageModel.load(llamaDir)) {
            FeatureCache cache = new FeatureCache(work.resolve("features"), extractor,
                    extractor.config().numQueryTokens() + "q-" + Files.size(blipDir.resolve("model.safetensors"))
                            + "-" + s.seed());
            int cap = s.adaptorExamples() > 0 ? s.adaptorExamples() : Integer.MAX_VALUE;
            List<TrainingExample> captions = everyNth(TrainingData.readJsonl(
                    trainDir.resolve(WorldExport.CAPTIONS_JSONL), trainDir, TextNormalization.NONE), cap);
            List<TrainingExample> instructions = everyNth(TrainingData.readJsonl(
                    trainDir.resolve(WorldExport.INSTRUCTIONS_JSONL), trainDir, TextNormalization.NONE), cap);
            List<TrainingExample> testQuestions = everyNth(TrainingData.readJsonl(
                    testDir.resolve(WorldExport.INSTRUCTIONS_JSONL), testDir, TextNormalization.NONE),
                    s.evalQuestions());
            adaptorMetrics.put("captionExamples", captions.size());
            adaptorMetrics.put("instructionExamples", instructions.size());
            adaptorMetrics.put("evalQuestions", testQuestions.size());
            int inputDim = extractor.config().qformer().hiddenSize();
            try (TrainableAdaptor adaptor = TrainableAdaptor.linear(inputDim, languageModel.hiddenSize(), s.seed())) {
                AdaptorObjective objective = AdaptorObjective.create(languageModel, wrapper, adaptor, cache);
                trainAdaptor("align", objective, TrainingConfig.builder().epochs(s.alignEpochs())
                        .microBatchSize(s.adaptorBatch()).seed(s.seed())
                        .schedule(referenceShape(s.alignLr(), 0.8)).build(), captions, adaptorMetrics);
                GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(MAX_NEW_TOKENS).build();
                AnswerEvaluator.Report before = AnswerEvaluator.evaluate(testQuestions,
                        AnswerEvaluator.predictor(cache, adaptor, wrapper, languageModel, greedy));
                adaptorMetrics.put("afterAlignment", before.perTypeExactMatch());
                adaptorMetrics.put("afterAlignmentOverall", before.exactMatch());
                trainAdaptor("instruct", objective, TrainingConfig.builder().epochs(s.instructEpochs())
                        .microBatchSize(s.adaptorBatch()).seed(s.seed() + 1)
                        .schedule(referenceShape(s.instructLr(), 1.0 / 3)).build(), instructions, adaptorMetrics);
                AnswerEvaluator.Report after = AnswerEvaluator.evaluate(testQuestions,
                        AnswerEvaluator.predictor(cache, adaptor, wrapper, languageModel, greedy));
                adaptorMetrics.put("afterInstructions", after.perTypeExactMatch());
                adaptorMetrics.put("afterInstructionsOverall", after.exactMatch());
                adaptorMetrics.put("afterInstructionsFittingScores",
                        WorldScores.score(testQuestions, after.predictions()));
                if (s.loraRank() > 0 || s.tuneQueries()) {
                    after = tune(s, out, blipDir, extractor, languageModel, wrapper, adaptor, objective, cache,
                            instructions, testQuestions, greedy, adaptorMetrics);
                }
                List<Map<String, String>> samples = new ArrayList<>();
                for (int i = 0; i < Math.min(SAMPLES, testQuestions.size()); i++) {
                    TrainingExample e = testQuestions.get(i);
                    samples.add(Map.of("image", out.toAbsolutePath().relativize(e.image().toAbsolutePath()).toString(),
                            "query", e.query(), "answer", e.answer(), "prediction", after.predictions().get(i)));
                }
                adaptorMetrics.put("samples", samples);
                adaptor.export(adaptorFile);
            }
        }
        adaptorMetrics.put("seconds", seconds(t));
        adaptorMetrics.put("command", command);
        metrics.put("stage3And4Adaptor", adaptorMetrics);
        metrics.put("totalSeconds", Duration.between(started, Instant.now()).toMillis() / 1000.0);
        writeReports(out, s, metrics);
        return metrics;
    }

    /**
     * The optional last stage, as LLaVA-1.5 and InstructBLIP add one: LoRA on the language model ({@code
     * --lora-rank}) and, with {@code --tune-queries}, the extractor's Q-Former query path, both beside the
     * adaptor on the instructions. A tuned Q-Former is saved as {@value #ANSWER_EXTRACTOR} and scored on
     * features computed live (the cache holds the frozen extractor's); the LoRA adapter as {@code lora/}.
     * Returns the held-out report after the stage.
     */
    private static AnswerEvaluator.Report tune(Settings s, Path out, Path blipDir, BlipFeatureExtractor extractor,
            LlamaLanguageModel languageModel, PromptWrapper wrapper, TrainableAdaptor adaptor,
            AdaptorObjective frozenFeatures, FeatureCache cache, List<TrainingExample> instructions,
            List<TrainingExample> testQuestions, GenerationConfig greedy, Map<String, Object> metrics)
            throws IOException {
        String stage = s.loraRank() > 0 ? "lora" : "queries";
        metrics.put("tunedParts", (s.loraRank() > 0 ? "adaptor + LoRA r" + s.loraRank() : "adaptor")
                + (s.tuneQueries() ? " + Q-Former query path" : ""));
        try (LlamaLora lora = s.loraRank() > 0 ? LlamaLora.attach(languageModel.model(), new LoraConfig(s.loraRank(),
                2.0 * s.loraRank(), 0.05, List.copyOf(LoraAdapter.LLAMA_MODULES), false), s.seed() + 3) : null) {
            AdaptorObjective objective = s.tuneQueries()
                    ? AdaptorObjective.trainingQueries(languageModel, wrapper, adaptor, extractor)
                    : frozenFeatures;
            trainAdaptor(stage, objective, TrainingConfig.builder().epochs(s.instructEpochs())
                    .microBatchSize(s.adaptorBatch()).seed(s.seed() + 3)
                    .schedule(referenceShape(s.instructLr(), 1.0 / 3)).build(), instructions, metrics);
            FeatureSource features = s.tuneQueries()
                    ? e -> extractor.extract(ImageInput.of(e.image()), e.query()) : cache;
            AnswerEvaluator.Report after = AnswerEvaluator.evaluate(testQuestions,
                    AnswerEvaluator.predictor(features, adaptor, wrapper, languageModel, greedy));
            // "afterLora" keeps its name in metrics.json for runs that compare with earlier ones
            metrics.put("afterLora", after.perTypeExactMatch());
            metrics.put("afterLoraOverall", after.exactMatch());
            metrics.put("afterLoraFittingScores", WorldScores.score(testQuestions, after.predictions()));
            if (lora != null) {
                lora.save(out.resolve("lora"));
            }
            if (s.tuneQueries()) {
                objective.saveExtractor(blipDir, out.resolve(ANSWER_EXTRACTOR));
            }
            return after;
        }
    }

    /**
     * The gates before the adaptor stages: the extractor's linear probes and the language model's reading
     * of gold descriptions. A failed gate stops the recipe when enforced (an adaptor cannot teach a language
     * model to read what the features do not carry or what it cannot read from text); otherwise it is logged.
     */
    static void checkGates(Settings s, Object itcMetrics, Object lmMetrics) {
        List<String> failed = new ArrayList<>();
        if (itcMetrics instanceof Map<?, ?> itc && itc.get("probes") instanceof Map<?, ?> probes
                && Boolean.FALSE.equals(probes.get("passed"))) {
            failed.add("extractor probes " + probes);
        }
        if (lmMetrics instanceof Map<?, ?> lm && lm.get("readingGate") instanceof Map<?, ?> gate
                && Boolean.FALSE.equals(gate.get("passed"))) {
            failed.add("language-model reading " + gate);
        }
        if (failed.isEmpty()) {
            return;
        }
        String message = "gate failed before the adaptor stages: " + String.join("; ", failed)
                + ". Train the failing stage longer (--itc-steps, --lm-steps) or pass --gates report to go on anyway";
        if (s.enforceGates()) {
            throw new VlalignException(message);
        }
        LOG.warn("{} (continuing: --gates report)", message);
    }

    private static void saveStage(Path work, String name, String command, Map<String, Object> stage) {
        stage.put("command", command);
        try {
            Files.writeString(work.resolve(name + ".json"),
                    new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create()
                            .toJson(stage), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the " + name + " metrics to " + work, e);
        }
    }

    private static Object loadStage(Path work, String name) throws IOException {
        Path f = work.resolve(name + ".json");
        if (!Files.exists(f)) {
            throw new InvalidArgumentException("the adaptor stage needs " + name + "'s output, but " + f
                    + " is missing; run that stage first (--stages itc,lm) into the same --out");
        }
        return new Gson().fromJson(Files.readString(f, StandardCharsets.UTF_8), Map.class);
    }

    /**
     * Stage 3 or 4: trains the adaptor in a loop of its own over one epoch order and records the stage's
     * final loss ({@code <stage>FinalLoss}) and first non-finite step ({@code <stage>FirstNonFiniteStep}, -1
     * if none).
     */
    private static void trainAdaptor(String stage, AdaptorObjective objective, TrainingConfig config,
            List<TrainingExample> examples, Map<String, Object> metrics) {
        try (TrainingLoop<TrainingExample> trainer = TrainingLoop.create(objective, config)) {
            AtomicLong firstNonFinite = new AtomicLong(-1);
            trainer.addListener(p -> logEvery(stage, p.step(), p.totalSteps(), p.loss(), p.eta()));
            trainer.addListener(p -> watchFinite(stage, p, firstNonFinite));
            metrics.put(stage + "FinalLoss", tailMean(trainer.train(examples).losses()));
            metrics.put(stage + "FirstNonFiniteStep", firstNonFinite.get());
        }
    }

    /** Stage 1: image–text contrastive training of a random ViT + Q-Former; returns its metrics. */
    private static Map<String, Object> trainRetrieval(Settings s, Path work, Path blipDir, World world,
            List<ImageCaptions> trainImages, List<ImageCaptions> testImages) throws IOException {
        RandomCheckpoints.RetrievalSpec retrievalSpec =
                s.tiny() ? RandomCheckpoints.RetrievalSpec.tiny() : RandomCheckpoints.RetrievalSpec.small();
        Path blipInit = RandomCheckpoints.writeRetrieval(work.resolve("blip2-init"), retrievalSpec, s.seed());
        long t = System.nanoTime();
        Map<String, Object> itc = new LinkedHashMap<>();
        if (s.visionSteps() > 0) {
            Path pretrained = work.resolve("blip2-vision");
            itc.put("vision", pretrainVision(s, world, blipInit, pretrained, testImages));
            itc.put("frozen", String.join(",", FROZEN_AFTER_VISION));
            blipInit = pretrained;
        }
        TrainOptions itcOptions = TrainOptions.of(s.itcSteps(), s.itcBatch(), s.itcLr(), s.seed());
        ContrastiveObjective.Losses losses = new ContrastiveObjective.Losses(s.itmWeight(), s.itgWeight(),
                s.itcHardNegatives());
        String contrastive = losses.contrastHardNegatives() ? "itc (with hard negatives)" : "itc";
        itc.put("losses", losses.matching() > 0 || losses.captioning() > 0 ? contrastive + " + " + losses.matching()
                + " itm (hard negatives) + " + losses.captioning() + " itg" : contrastive);
        BiFunction<ImageCaptions, java.util.Random, ImageText> draw =
                losses.matching() > 0 || losses.contrastHardNegatives() ? ImageCaptions::drawWithNegative
                        : ImageCaptions::draw;
        try (ContrastiveObjective objective = ContrastiveObjective.load(blipInit, TEMPERATURE, losses);
                TrainingLoop<ImageText> trainer = TrainingLoop.create(objective, s.visionSteps() > 0
                        // as BLIP-2 freezes its pre-trained image encoder: the random Q-Former's first gradients
                        // undid the tower's training (probes 0.576 / 0.622 fell to 0.390 / 0.456 in 250 steps).
                        // The Q-Former's query path, trained by the vision stage too, stays trainable: frozen as
                        // well, it kept the probes but held text-to-image R@1 at 0.348 after 1,000 steps, where
                        // trained it reached 0.738 by step 250 (probes 0.842 / 0.927 -> 0.827 / 0.913)
                        ? itcOptions.config().toBuilder().frozen(FROZEN_AFTER_VISION.toArray(String[]::new)).build()
                        : itcOptions.config())) {
            trainer.addListener(p -> logEvery("ITC", p.step(), p.totalSteps(), p.loss(), p.eta()));
            List<ImageText> probe = testImages.subList(0, Math.min(testImages.size(), s.itcBatch())).stream()
                    .map(ImageCaptions::canonical).toList();
            // held-out near misses, one of each image's: does the contrastive score read the changed detail?
            List<ImageText> nearMisses = new ArrayList<>();
            for (ImageCaptions ic : testImages.subList(0, Math.min(testImages.size(), PROGRESS_SCENES))) {
                ic.nearMiss(nearMisses.size()).ifPresent(nearMisses::add);
            }
            // located captions with their images: which attribute words captioning reads from the image
            List<ImageText> readingPairs = nearMisses.subList(0, Math.min(nearMisses.size(), 64));
            trainer.addListener(p -> {
                if (p.step() % progressEvery(p.totalSteps()) == 0) {
                    LOG.info("ITC step {}: own caption above its near miss on {} of held-out images", p.step(),
                            String.format("%.3f", objective.hardNegativeAccuracy(nearMisses)));
                    // the gate's trend, on a sixth of the gate's scenes (an underestimate, but seconds)
                    int fit = Math.max(2, s.probeScenes() / 6);
                    ExtractorProbes.Result r = ExtractorProbes.measure(objective.model(), world, fit,
                            Math.max(10, fit / 2));
                    LOG.info("ITC step {}: linear probes fitted on {} scenes: shape-of-colour {} cell-of-shape {}",
                            p.step(), fit, String.format("%.3f", r.shapeOfColour()),
                            String.format("%.3f", r.cellOfShape()));
                    if (losses.captioning() > 0 && readingPairs.size() >= 2) {
                        LOG.info("ITC step {}: captioning loss per attribute word, own image/another's: {}",
                                p.step(), ExtractorProbes.format(ExtractorProbes.captionReading(objective,
                                        readingPairs)));
                    }
                }
            });
            itc.put("testLossBefore", trainer.meanLoss(probe));
            itc.put("testRecallBefore", recall(evaluate(objective, testImages)));
            itc.put("testNearMissAccuracyBefore", objective.hardNegativeAccuracy(nearMisses));
            List<Double> stepLosses = trainer.train(itcOptions.order(trainImages, draw)).losses();
            itc.put("firstStepLoss", stepLosses.get(0));
            itc.put("lastStepsLoss", tailMean(stepLosses));
            itc.put("testLossAfter", trainer.meanLoss(probe));
            itc.put("testRecallAfter", recall(evaluate(objective, testImages)));
            itc.put("testNearMissAccuracyAfter", objective.hardNegativeAccuracy(nearMisses));
            if (losses.captioning() > 0 && readingPairs.size() >= 2) {
                Map<String, Object> reading = new LinkedHashMap<>();
                ExtractorProbes.captionReading(objective, readingPairs).forEach((c, v) -> reading.put(c,
                        Map.of("ownImage", v[0], "otherImage", v[1])));
                itc.put("captionLossPerWordClass", reading);
            }
            objective.save(blipDir);
        }
        try (BlipFeatureExtractor trained = BlipFeatureExtractor.load(blipDir)) {
            ExtractorProbes.Result probes = ExtractorProbes.measure(trained, world, s.probeScenes(),
                    Math.max(10, Math.min(1000, s.probeScenes() / 2)));
            itc.put("probes", probes.asMap());
            LOG.info("extractor gate (linear probes, needs {}): shape-of-colour {} cell-of-shape {} -> {}",
                    ExtractorProbes.GATE, String.format("%.3f", probes.shapeOfColour()),
                    String.format("%.3f", probes.cellOfShape()), probes.passed() ? "passed" : "FAILED");
        }
        itc.put("seconds", seconds(t));
        return itc;
    }

    /**
     * Stage 1's first part, when asked: the image side learns the labels of {@link WorldData#sceneLabels},
     * read through the Q-Former's queries, before the Q-Former's losses train it further, each item a scene not
     * seen before. A step runs the image side alone, without the text passes, several times cheaper than a step
     * of the three first-stage losses; returns its metrics.
     */
    private static Map<String, Object> pretrainVision(Settings s, World world, Path init, Path target,
            List<ImageCaptions> testImages) {
        long t = System.nanoTime();
        Map<String, Object> m = new LinkedHashMap<>();
        // a fresh scene for every item: on stage 1's 20,000 fixed scenes the tower began to learn them by heart
        // (label F1 at step 1,500: 0.74 on training scenes, 0.66 held out; fresh scenes 0.68 and 0.66)
        long scenes = Math.max(s.itcBatch(), s.visionSteps() * s.itcBatch());
        List<Long> train = LongStream.range(0, Math.min(scenes, Integer.MAX_VALUE)).boxed().toList();
        List<ImageLabels> test = WorldData.sceneLabels(world, Split.TEST, 0,
                testImages.stream().map(ImageCaptions::image).toList());
        TrainOptions options = TrainOptions.of(s.visionSteps(), s.itcBatch(), s.visionLr(), s.seed());
        // read through the queries: read from the tower's tokens, 8,000 steps left cell-of-shape at 0.749 behind
        // the random Q-Former; through the queries it reached 0.927 (shape-of-colour 0.848 and 0.842)
        try (VisionLabelObjective objective = VisionLabelObjective.load(init, WorldData.SCENE_LABELS,
                VisionLabelObjective.Reads.QUERIES, s.seed());
                TrainingLoop<ImageLabels> trainer = TrainingLoop.create(objective, options.config())) {
            trainer.addListener(p -> logEvery("vision", p.step(), p.totalSteps(), p.loss(), p.eta()));
            trainer.addListener(p -> {
                if (p.step() % progressEvery(p.totalSteps()) == 0) {
                    LOG.info("vision step {}: held-out labels {}", p.step(), objective.evaluate(test));
                }
            });
            m.put("steps", s.visionSteps());
            m.put("labels", WorldData.SCENE_LABELS);
            m.put("reads", objective.reads().name().toLowerCase(Locale.ROOT));
            m.put("testBefore", objective.evaluate(test));
            List<Double> losses = trainer.train(options.order(train,
                    (index, random) -> WorldData.sceneLabels(world, Split.TRAIN, index))).losses();
            m.put("firstStepLoss", losses.get(0));
            m.put("lastStepsLoss", tailMean(losses));
            m.put("testAfter", objective.evaluate(test));
            objective.save(target);
        }
        m.put("seconds", seconds(t));
        return m;
    }

    /** Look-ups per reading-drill text. */
    static final int DRILL_QUERIES = 12;

    /**
     * Stage 2: next-token pre-training of a random Llama on the world's texts, in three phases: reading drills
     * alone ({@link WorldData#readingDrills}: the description, then one-word look-ups), then drills with the
     * scenes' attribute questions asked in turns after the description ({@link #readingCorpus}), then the rest of
     * the world's language ({@link #languageModelCorpus}); returns its metrics.
     */
    private static Map<String, Object> trainLanguageModel(Settings s, Path work, Path llamaDir, World world)
            throws IOException {
        RandomCheckpoints.LlamaSpec llamaSpec =
                s.tiny() ? RandomCheckpoints.LlamaSpec.tiny() : RandomCheckpoints.LlamaSpec.small();
        Path llamaInit = RandomCheckpoints.writeLlama(work.resolve("llama-init"), llamaSpec, s.seed() + 1);
        long t = System.nanoTime();
        Map<String, Object> lm = new LinkedHashMap<>();
        List<ContextAnswer> testCorpus = WorldData.weightedCorpus(world, Split.TEST, 0, Math.min(200, s.testImages()));
        List<ContextAnswer> testAnswers = testCorpus.stream().filter(text -> !text.answer().isEmpty()).toList();
        lm.put("turns", s.lmTurns());
        lm.put("contextWeight", s.lmContextWeight());
        lm.put("spec", llamaSpec.toString());
        try (LanguageModelObjective objective = LanguageModelObjective.load(llamaInit)) {
            Objective<ContextAnswer> weighted = objective.answerWeighted(s.lmContextWeight());
            TrainOptions lmOptions = TrainOptions.of(s.lmSteps(), s.lmBatch(), s.lmLr(), s.seed());
            lm.put("testLossBefore", meanLoss(weighted, lmOptions, testCorpus));
            if (s.lmDrillSteps() > 0) {
                List<ContextAnswer> drills =
                        WorldData.readingDrills(world, Split.TRAIN, 0, s.trainImages(), DRILL_QUERIES, false, false);
                lm.put("drillTexts", drills.size());
                TrainOptions drillOptions = TrainOptions.of(s.lmDrillSteps(), s.lmBatch(), s.lmLr(), s.seed() + 2);
                lm.put("drillLastStepsLoss", tailMean(trainPhase("LM drills", objective, weighted, drillOptions,
                        drills, world, false)));
            }
            List<ContextAnswer> questions = readingCorpus(world, s.trainImages(), s.lmTurns());
            lm.put("trainTexts", questions.size());
            lm.put("lastStepsLoss",
                    tailMean(trainPhase("LM", objective, weighted, lmOptions, questions, world, true)));
            if (s.lmLanguageSteps() > 0) {
                List<ContextAnswer> language = languageModelCorpus(world, s.trainImages(), s.lmTurns());
                lm.put("languageTexts", language.size());
                TrainOptions languageOptions =
                        TrainOptions.of(s.lmLanguageSteps(), s.lmBatch(), s.lmLr() / 4, s.seed() + 3);
                lm.put("languageLastStepsLoss", tailMean(trainPhase("LM language", objective, weighted,
                        languageOptions, language, world, true)));
            }
            lm.put("testLossAfter", meanLoss(weighted, lmOptions, testCorpus));
            // the weighted loss is mostly the descriptions' unpredictable words; the answers' alone shows reading
            lm.put("testAnswerLossAfter", meanLoss(objective.answerWeighted(0), lmOptions, testAnswers));
            objective.save(llamaDir);
        }
        try (LlamaLanguageModel trained = LlamaLanguageModel.load(llamaDir)) {
            Map<String, Object> gate = ReadingGate.measure(trained, world, s.gateScenes());
            lm.put("readingGate", gate);
            LOG.info("language-model gate (gold description + question, needs {} per type): {}", ReadingGate.GATE,
                    gate);
        }
        lm.put("seconds", seconds(t));
        return lm;
    }

    /** The objective's mean loss over texts, without training (a loop only holds the micro-batch size). */
    private static double meanLoss(Objective<ContextAnswer> objective, TrainOptions options,
            List<ContextAnswer> texts) {
        try (TrainingLoop<ContextAnswer> probe = TrainingLoop.create(objective, options.config())) {
            return probe.meanLoss(texts);
        }
    }

    /** One phase of the language-model stage; logs progress (and, if asked, the reading gate); returns its losses. */
    private static List<Double> trainPhase(String name, LanguageModelObjective objective,
            Objective<ContextAnswer> weighted, TrainOptions options, List<ContextAnswer> texts, World world,
            boolean gate) {
        try (TrainingLoop<ContextAnswer> trainer = TrainingLoop.create(weighted, options.config())) {
            trainer.addListener(p -> logEvery(name, p.step(), p.totalSteps(), p.loss(), p.eta()));
            if (gate) {
                trainer.addListener(p -> {
                    if (p.step() % progressEvery(p.totalSteps()) == 0) {
                        int scenes = PROGRESS_SCENES / 5;
                        LOG.info("{} step {}: reading gate on {} held-out scenes {}", name, p.step(), scenes,
                                ReadingGate.measure(objective.model(), world, scenes));
                    }
                });
            }
            return trainer.train(options.order(texts, (text, random) -> text)).losses();
        }
    }

    /**
     * The second phase's texts: per training scene reading drills with cells (two-word names where a kind or
     * colour repeats) and the scene's attribute questions (the {@link ReadingGate#TYPES}) in {@code turns} turns
     * after its description ({@link WorldData#questionTurns}); and drills on sizes and two-word names: each
     * shape's size by its kind, and the names that need two words ({@link WorldData#twoWordDrills}).
     */
    static List<ContextAnswer> readingCorpus(World world, int scenes, int turns) {
        List<ContextAnswer> texts = new ArrayList<>(
                WorldData.readingDrills(world, Split.TRAIN, 0, scenes, DRILL_QUERIES, true, true));
        texts.addAll(WorldData.twoWordDrills(world, Split.TRAIN, 0, scenes, DRILL_QUERIES));
        texts.addAll(WorldData.questionTurns(world, Split.TRAIN, 0, scenes, turns, ReadingGate.TYPES));
        return texts;
    }

    /**
     * The third phase's texts, three per training scene: reading drills with two-word names and cells, the
     * scene's questions of every type but the description in {@code turns} turns after its description, and one
     * of its captions as context: the relation words and caption phrasing the adaptor stages ask the model to
     * produce. Mixed in from the start of the second phase, they kept the look-up from forming: the gate read
     * colour 0.49 at step 1,200 of that phase, against 0.83 without them (same seed).
     */
    static List<ContextAnswer> languageModelCorpus(World world, int scenes, int turns) {
        List<ContextAnswer> texts = new ArrayList<>(
                WorldData.readingDrills(world, Split.TRAIN, 0, scenes, DRILL_QUERIES, true, true));
        // descriptions are context already; as answers they would double the texts' length
        texts.addAll(WorldData.questionTurns(world, Split.TRAIN, 0, scenes, turns,
                EnumSet.complementOf(EnumSet.of(QaType.DESCRIPTION))));
        for (int i = 0; i < scenes; i++) {
            List<String> captions = world.captions(world.sample(Split.TRAIN, i));
            texts.add(ContextAnswer.contextOnly(captions.get(i % captions.size())));
        }
        return texts;
    }

    /**
     * Text→image and image→text retrieval of held-out scenes, each with its canonical caption.
     *
     * @param objective the contrastive stage's objective (its model as trained so far)
     * @param images the scenes
     * @return the evaluation at 1, 5 and 10
     */
    static RetrievalEvaluator.Result evaluate(ContrastiveObjective objective, List<ImageCaptions> images) {
        return objective.evaluate(images.stream().map(ImageCaptions::image).toList(),
                images.stream().map(c -> c.captions().get(0)).toList(), 1, 5, 10);
    }

    /**
     * The reference system's schedule shape (warm-up from 1e-6 over the first epoch, cosine to a fraction of
     * the peak at the end) at a peak suited to a small model: the reference peaks, 1e-4 and 3e-5, are tuned
     * for a 7B language model and barely move a small one.
     */
    static BiFunction<Long, Long, LearningRateSchedule> referenceShape(
            double peak, double finalFraction) {
        return (stepsPerEpoch, total) -> new WarmupCosineSchedule(Math.min(1e-6, peak), peak, stepsPerEpoch,
                Math.max(stepsPerEpoch, total), peak * finalFraction);
    }

    private static void watchFinite(String stage, TrainingProgress p,
            AtomicLong first) {
        if ((!Double.isFinite(p.loss()) || !Double.isFinite(p.gradientNorm())) && first.compareAndSet(-1, p.step())) {
            LOG.error("{} step {}: loss {} gradient norm {} is not finite; the adaptor is lost from here on"
                    + " (recorded in metrics.json)", stage, p.step(), p.loss(), p.gradientNorm());
        }
    }

    /** What stage 1 freezes after the vision stage: the tower, not the Q-Former's query path (see its use). */
    private static final List<String> FROZEN_AFTER_VISION = VisionLabelObjective.Reads.TOWER.learns();

    /** Held-out scenes of the progress lines logged ten times per stage (the reading gate uses a fifth). */
    private static final int PROGRESS_SCENES = 200;

    /** Steps between progress lines: a tenth of the stage. */
    private static long progressEvery(long totalSteps) {
        return Math.max(1, totalSteps / 10);
    }

    private static void logEvery(String stage, long step, long total, double loss, Duration eta) {
        if (step == 1 || step == total || step % 50 == 0) {
            LOG.info("{} step {}/{} loss {} eta {}s", stage, step, total, String.format("%.4f", loss),
                    eta.toSeconds());
        }
    }

    private static List<TrainingExample> everyNth(List<TrainingExample> all, int n) {
        if (all.size() <= n) {
            return all;
        }
        List<TrainingExample> out = new ArrayList<>();
        double stride = all.size() / (double) n;
        for (int i = 0; i < n; i++) {
            out.add(all.get((int) (i * stride)));
        }
        return out;
    }

    private static Map<String, Double> recall(RetrievalEvaluator.Result r) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int k : new int[] {1, 5, 10}) {
            m.put("textToImageR@" + k, r.recall(k).textToImage());
            m.put("imageToTextR@" + k, r.recall(k).imageToText());
        }
        return m;
    }

    private static double tailMean(List<Double> losses) {
        int n = Math.max(1, Math.min(20, losses.size()));
        return losses.subList(losses.size() - n, losses.size()).stream().mapToDouble(Double::doubleValue)
                .average().orElse(Double.NaN);
    }

    private static double seconds(long startNanos) {
        return Math.round((System.nanoTime() - startNanos) / 1e7) / 100.0;
    }

    private static Map<String, Object> settingsMap(Settings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("out", s.out().toString());
        m.put("worldSeed", s.worldSeed());
        m.put("seed", s.seed());
        m.put("size", s.tiny() ? "tiny" : "small");
        m.put("trainImages", s.trainImages());
        m.put("testImages", s.testImages());
        m.put("itcSteps", s.itcSteps());
        m.put("itcBatch", s.itcBatch());
        m.put("itcLr", s.itcLr());
        m.put("lmSteps", s.lmSteps());
        m.put("lmBatch", s.lmBatch());
        m.put("lmLr", s.lmLr());
        m.put("alignEpochs", s.alignEpochs());
        m.put("instructEpochs", s.instructEpochs());
        m.put("adaptorBatch", s.adaptorBatch());
        m.put("alignLr", s.alignLr());
        m.put("instructLr", s.instructLr());
        m.put("adaptorExamples", s.adaptorExamples());
        m.put("evalQuestions", s.evalQuestions());
        m.put("stages", String.join(",", Settings.STAGES.stream().filter(s.stages()::contains).toList()));
        m.put("itmWeight", s.itmWeight());
        m.put("itgWeight", s.itgWeight());
        m.put("itcHardNegatives", s.itcHardNegatives());
        m.put("probeScenes", s.probeScenes());
        m.put("lmContextWeight", s.lmContextWeight());
        m.put("lmDrillSteps", s.lmDrillSteps());
        m.put("lmLanguageSteps", s.lmLanguageSteps());
        m.put("lmTurns", s.lmTurns());
        m.put("visionSteps", s.visionSteps());
        m.put("visionLr", s.visionLr());
        m.put("gateScenes", s.gateScenes());
        m.put("gates", s.enforceGates() ? "enforce" : "report");
        m.put("loraRank", s.loraRank());
        return m;
    }

    private static String stageCommands(Map<String, Object> metrics) {
        StringBuilder b = new StringBuilder();
        for (String stage : List.of("stage1Itc", "stage2Lm", "stage3And4Adaptor")) {
            if (metrics.get(stage) instanceof Map<?, ?> m && m.get("command") != null) {
                b.append("- ").append(stage).append(": `").append(m.get("command")).append("`\n");
            }
        }
        return b.length() == 0 ? "- `" + metrics.get("command") + "`\n" : b.toString();
    }

    private static String stageValue(Map<String, Object> metrics, String stage, String key) {
        return metrics.get(stage) instanceof Map<?, ?> m && m.get(key) != null ? String.valueOf(m.get(key))
                : "not measured";
    }

    private static void writeReports(Path out, Settings s, Map<String, Object> metrics) {
        String json = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create()
                .toJson(metrics);
        String md = "# The vlalign default model\n\n"
                + "Trained by `org.vlalign.model.recipe.DefaultModelRecipe` on the synthetic shapes world"
                + " (world seed " + s.worldSeed() + ", weight/data seed " + s.seed() + ").\n\n"
                + "Commands (java -cp <vlalign-model and its dependencies> org.vlalign.model.recipe.DefaultModelRecipe"
                + " ...; stages 1 and 2 ran as two processes at once):\n\n" + stageCommands(metrics) + "\n"
                + "- `blip2/`: Blip2ForImageTextRetrieval (ViT + Q-Former), stage 1: " + stageValue(metrics,
                        "stage1Itc", "losses") + ".\n"
                + "- `llama/`: LlamaForCausalLM, stage 2, next-token loss with answers weighted 1 and context "
                + s.lmContextWeight() + ": reading drills, then drills and attribute questions, then every"
                + " question type and captions.\n"
                + "- `adaptor.safetensors`: linear adaptor, stage 3 (captions, empty query) then stage 4"
                + " (instructions), image-prefix prompt (`<s> [image] query`), both models frozen.\n"
                + "- `data/`: the exported train and test splits.\n\n"
                + "Load: `TorchModels.builder().featureExtractor(blip2).adaptor(adaptor.safetensors)"
                + ".languageModel(llama).promptWrapper(ImagePrefixPromptWrapper.create()).build()`.\n\n"
                + "## Gates\n\n"
                + "- Extractor (linear probes on the adaptor's input, each >= " + ExtractorProbes.GATE + "): "
                + stageValue(metrics, "stage1Itc", "probes") + "\n"
                + "- Language model (gold description + question, exact match per type, each >= "
                + ReadingGate.GATE + "): " + stageValue(metrics, "stage2Lm", "readingGate") + "\n\n"
                + "## Metrics\n\n```json\n" + json + "\n```\n";
        try {
            Files.writeString(out.resolve("metrics.json"), json + "\n", StandardCharsets.UTF_8);
            Files.writeString(out.resolve("RECIPE.md"), md, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the recipe reports to " + out, e);
        }
    }
}
