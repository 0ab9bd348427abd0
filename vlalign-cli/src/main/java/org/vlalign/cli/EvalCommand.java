package org.vlalign.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.vlalign.Adaptor;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.core.metrics.BoundingBox;
import org.vlalign.core.metrics.BoxAccuracy;
import org.vlalign.core.metrics.CaptionDataset;
import org.vlalign.core.metrics.RecallAtK;
import org.vlalign.core.metrics.RetrievalEvaluator;
import org.vlalign.core.train.AnswerEvaluator;
import org.vlalign.core.train.FeatureSource;
import org.vlalign.core.train.TextNormalization;
import org.vlalign.core.train.TrainingData;
import org.vlalign.core.train.TrainingExample;
import org.vlalign.model.world.QaType;
import org.vlalign.model.world.WorldEvaluation;
import org.vlalign.model.world.WorldScores;
import org.vlalign.train.TrainableAdaptor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign eval}: scores a model on a benchmark. {@code eval vqa} answers every question of a JSONL set
 * and reports exact match and VQA accuracy overall and per question type ({@link AnswerEvaluator}); {@code eval
 * retrieval} reports Recall@1/5/10 in both directions on a Karpathy-split caption set ({@link
 * RetrievalEvaluator}); {@code eval rec} reports accuracy at IoU ≥ 0.5 and mean IoU of the boxes a model gives
 * for referring expressions ({@link BoxAccuracy}); {@code eval --world-seed S} (no mode) draws fresh held-out
 * scenes of the shapes world and reports exact match per question type, box accuracy and text→image
 * Recall@1/5/10 ({@link WorldEvaluation}), by default of the embedded default model. Each ends with one
 * machine-readable line on standard output. Not thread-safe: one instance per command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "eval",
        header = "Evaluate a model: shapes-world score, VQA accuracy, box IoU or retrieval recall.",
        description = {
            "Evaluate a model on a benchmark. Choose a mode:",
            "  vqa        exact match and VQA accuracy on a JSONL question set",
            "  rec        box accuracy (IoU >= 0.5) and mean IoU on referring expressions",
            "  retrieval  Recall@1/5/10 on a Karpathy-split caption set",
            "or give --world-seed (no mode) to score the model on N fresh held-out",
            "scenes of the shapes world: exact match per question type, box accuracy",
            "at IoU >= 0.5 and mean IoU (box questions are not in exact_match) and",
            "text->image Recall@1/5/10, ending with:",
            "exact_match=<x> recall@1=<a> recall@5=<b> recall@10=<c> iou@0.5=<d>"
        },
        subcommands = {EvalCommand.Vqa.class, EvalCommand.Rec.class, EvalCommand.Retrieval.class},
        footer = {"", "Examples:",
            "  vlalign eval --world-seed 3 --samples 100",
            "  vlalign eval vqa --model models/instructblip --data vqav2-val.jsonl",
            "  vlalign eval rec --model models/llava-1.5-7b --data refcoco-val.jsonl",
            "  vlalign eval retrieval --model models/clip --captions dataset_coco.json \\",
            "      --images coco"})
final class EvalCommand implements Callable<Integer> {

    /** The scenes {@code --world-seed} evaluates when {@code --samples} is not given. */
    static final int DEFAULT_SAMPLES = 100;

    /** How many (question, expected, predicted) rows the world evaluation prints. */
    private static final int EXAMPLES_SHOWN = 5;

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin ModelOptions model;

    @Option(names = "--world-seed", paramLabel = "S", description = "Score the model on fresh held-out scenes of"
            + " the shapes world built with seed S (any seed gives a new draw); no mode then.")
    Long worldSeed;

    @Option(names = "--samples", paramLabel = "N", description = "With --world-seed: the number of scenes, 10"
            + " to 100000 (default: " + DEFAULT_SAMPLES + "). Recall@10 needs at least 10 images.")
    Integer samples;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64", description = "With --world-seed:"
            + " generate at most N tokens per answer, greedily (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Override
    public Integer call() {
        if (worldSeed == null) {
            if (worldOptionGiven()) {
                throw new ParameterException(spec.commandLine(), "--model, --samples and --max-new-tokens of"
                        + " 'vlalign eval' go with --world-seed S: add it, or choose a mode ('vlalign eval vqa',"
                        + " 'vlalign eval retrieval') and put the options after it.");
            }
            throw new ParameterException(spec.commandLine(), "Missing mode: use 'vlalign eval vqa', 'vlalign eval"
                    + " retrieval' or 'vlalign eval --world-seed S'.");
        }
        int n = samples == null ? DEFAULT_SAMPLES : samples;
        if (n < 10 || n > 100_000) {
            throw new ParameterException(spec.commandLine(), "--samples must be between 10 and 100000 scenes but"
                    + " was " + n + ": Recall@10 ranks each scene's image among at least 10. Pass --samples 10"
                    + " or more (default " + DEFAULT_SAMPLES + ").");
        }
        if (maxNewTokens < 1) {
            throw new ParameterException(spec.commandLine(), "--max-new-tokens must be at least 1 but was "
                    + maxNewTokens);
        }
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(maxNewTokens).build();
        model.checkFolder();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        WorldEvaluation.Result result;
        try (VlModel vl = model.load(err)) {
            err.println("Answering the questions about " + n + " held-out scenes of world seed " + worldSeed
                    + ", then searching by their captions ...");
            err.flush();
            ProgressBar bar = new ProgressBar(err, System.console() != null, "questions");
            // The total is known once the scenes are drawn, so the bar shows it and an ETA from the start.
            WorldEvaluation.Progress progress = (done, total) -> bar.update(done, total, "");
            result = WorldEvaluation.evaluate(vl, worldSeed, n, config, progress);
            bar.finish();
        }
        printWorld(out, result);
        return 0;
    }

    private static void printWorld(PrintWriter out, WorldEvaluation.Result r) {
        out.printf(Locale.ROOT, "World seed %d: %d held-out scenes, %d questions%n", r.worldSeed(), r.scenes(),
                r.questions());
        out.printf(Locale.ROOT, "%-16s %12s  %s%n", "question type", "exact_match", "score that fits the answer");
        for (Map.Entry<String, Double> e : r.perType().entrySet()) {
            out.println(String.format(Locale.ROOT, "%-16s %12s  %s", e.getKey().isEmpty() ? "(none)" : e.getKey(),
                    score(e.getValue()), fittingScore(e.getKey(), r.scores())).stripTrailing());
        }
        out.printf(Locale.ROOT, "%-16s %12s%n", "overall", score(r.exactMatch()));
        if (r.scores().box().items() > 0) {
            out.printf(Locale.ROOT, "%-16s %12s  %s (%d boxes, not in the exact match)%n", QaType.BOX.label(), "-",
                    fittingScore(QaType.BOX.label(), r.scores()), r.scores().box().items());
        }
        out.printf(Locale.ROOT, "text->image search over the %d scene images, each scene's first caption as the"
                + " query:%n  Recall@1 %s  Recall@5 %s  Recall@10 %s%n", r.scenes(), score(r.recall1()),
                score(r.recall5()), score(r.recall10()));
        if (!r.examples().isEmpty()) {
            out.println("Examples (question | expected | predicted):");
            for (List<String> e : r.examples().subList(0, Math.min(EXAMPLES_SHOWN, r.examples().size()))) {
                out.println("  " + e.get(0) + " | " + e.get(1) + " | " + e.get(2));
            }
        }
        out.println(r.summaryLine());
        out.flush();
    }

    /**
     * The world score beside a type's exact match: relation and both objects for relationships, object F1 and
     * CIDEr-D for descriptions, accuracy at IoU ≥ 0.5 and mean IoU for boxes; empty for types exact match already
     * fits.
     */
    static String fittingScore(String type, WorldScores.Summary s) {
        if (type.equals(QaType.BOX.label()) && s.box().items() > 0) {
            return "iou@0.5=" + score(s.box().accuracy()) + " mean_iou=" + score(s.box().meanIou());
        }
        if (type.equals(QaType.RELATIONSHIP.label()) && s.relationshipItems() > 0) {
            return "relation+objects=" + score(s.relationship());
        }
        if (type.equals(QaType.DESCRIPTION.label()) && s.descriptionItems() > 0) {
            return "object_f1=" + score(s.descriptionObjectF1()) + " cider_d="
                    + String.format(Locale.ROOT, "%.4f", s.descriptionCiderD());
        }
        return "";
    }

    /** Whether an option of {@code eval --world-seed} other than the seed was given. */
    private boolean worldOptionGiven() {
        ParseResult parsed = spec.commandLine().getParseResult();
        return model.model != null || samples != null || parsed.hasMatchedOption("--max-new-tokens");
    }

    /**
     * Refuses options given to {@code eval} before a mode: they belong to {@code eval --world-seed}, and the
     * mode would silently ignore them.
     *
     * @param mode the mode's command
     * @throws ParameterException if {@code eval} itself got options
     */
    void checkNoWorldOptions(CommandSpec mode) {
        if (worldSeed != null || worldOptionGiven()) {
            throw new ParameterException(mode.commandLine(), "Options before '" + mode.name() + "' belong to"
                    + " 'vlalign eval --world-seed S'; put the options of 'vlalign eval " + mode.name() + "' after"
                    + " '" + mode.name() + "'.");
        }
    }

    /** Formats a score in [0, 1] for the summary line; NaN when undefined. */
    static String score(double v) {
        return Double.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.4f", v);
    }

    /**
     * {@code vlalign eval vqa}: exact match and VQA accuracy of a model (optionally with a trained adaptor).
     *
     * <p>Not thread-safe: one instance per command-line run.
     *
     * @since 0.1.0
     */
    @Command(
            name = "vqa",
            header = "Exact match and VQA accuracy on a JSONL question set.",
            description = {
                "Answer every question of --data (JSONL: {\"image\", \"query\", \"answer\"",
                "or \"answers\", \"type\"}) and score the answers: exact match for every",
                "item, VQA accuracy for items with several human answers, overall and",
                "per type. Without --model, --vision and --lm it evaluates the embedded",
                "default model. Ends with: exact_match=<x> vqa_accuracy=<y>"
            },
            footer = {"", "Examples:",
                "  vlalign eval vqa --data my-questions.jsonl",
                "  vlalign eval vqa --model models/instructblip --data val.jsonl",
                "  vlalign eval vqa --vision models/blip2 --lm models/llama-2-chat \\",
                "      --adaptor run2/adaptor.safetensors --data val.jsonl"})
    static final class Vqa implements Callable<Integer> {

        @Spec CommandSpec spec;

        @ParentCommand EvalCommand parent;

        @Mixin HelpOption help;

        @Mixin PartsOptions parts;

        @Mixin WeightOptions weights;

        @Option(names = "--data", required = true, paramLabel = "FILE", description = "The question set (JSONL).")
        Path data;

        @Option(names = "--images", paramLabel = "DIR",
                description = "Folder that image paths are relative to (default: the data file's folder).")
        Path images;

        @Option(names = "--adaptor", paramLabel = "FILE", description = "A trained adaptor (adaptor.safetensors from vlalign train) replacing the"
                + " model's; required with --vision/--lm.")
        Path adaptor;

        @Mixin TemplateOption template;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
                description = "Evaluate only the first N items (0: all).")
        int limit;

        @Option(names = "--predictions", paramLabel = "FILE",
                description = "Also write each item's prediction as JSON lines to FILE.")
        Path predictions;

        @Mixin GenerationOptions generation;

        @Override
        public Integer call() {
            parent.checkNoWorldOptions(spec);
            parts.check(spec, true);
            GenerationConfig config = generation.toConfig(spec);
            template.check();
            if (limit < 0) {
                throw new ParameterException(spec.commandLine(), "--limit must be >= 0 but was " + limit);
            }
            if (parts.separate() && adaptor == null) {
                throw new ParameterException(spec.commandLine(), "--vision/--lm have no adaptor of their own: pass"
                        + " --adaptor with the adaptor.safetensors that vlalign train wrote.");
            }
            Path file = data.toAbsolutePath().normalize();
            if (!Files.isRegularFile(file)) {
                throw new VlalignException("--data " + file + " does not exist or is not a file; pass a JSONL"
                        + " question set.");
            }
            Path root = images != null ? images.toAbsolutePath().normalize() : file.getParent();
            List<TrainingExample> items = TrainingData.readJsonl(file, root, TextNormalization.NONE);
            if (limit > 0 && items.size() > limit) {
                items = items.subList(0, limit);
            }
            if (items.isEmpty()) {
                throw new VlalignException("--data " + file + " holds no questions.");
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            AnswerEvaluator.Report report;
            try (ModelParts loaded = parts.load(err, weights.toLoadOptions());
                    TrainableAdaptor trained = adaptor == null ? null : loadAdaptor(adaptor)) {
                Adaptor a = trained != null ? trained : loaded.composedAdaptor();
                FeatureExtractor fe = loaded.extractor();
                FeatureSource features = e -> fe.extract(ImageInput.of(e.image()),
                        fe.acceptsInstruction() ? e.query() : "");
                Function<TrainingExample, String> predictor = AnswerEvaluator.predictor(features, a,
                        loaded.wrapper(template.name), loaded.languageModel(), config);
                ProgressBar bar = new ProgressBar(err, System.console() != null, "questions");
                int total = items.size();
                int[] done = {0};
                report = AnswerEvaluator.evaluate(items, item -> {
                    String p = predictor.apply(item);
                    bar.update(++done[0], total, item.image().getFileName().toString());
                    return p;
                });
                bar.finish();
            }
            if (predictions != null) {
                writePredictions(predictions.toAbsolutePath().normalize(), items, report.predictions());
            }
            printTable(out, items, report);
            return 0;
        }

        private static TrainableAdaptor loadAdaptor(Path file) {
            Path f = file.toAbsolutePath().normalize();
            if (!Files.exists(f)) {
                throw new VlalignException("--adaptor " + f + " does not exist; pass the adaptor.safetensors that"
                        + " vlalign train wrote.");
            }
            return TrainableAdaptor.load(f);
        }

        private static void printTable(PrintWriter out, List<TrainingExample> items, AnswerEvaluator.Report r) {
            Map<String, int[]> counts = new LinkedHashMap<>(); // type -> {items, vqa items}
            for (TrainingExample e : items) {
                int[] c = counts.computeIfAbsent(e.type(), k -> new int[2]);
                c[0]++;
                c[1] += e.references().size() >= 2 ? 1 : 0;
            }
            WorldScores.Summary world = WorldScores.score(items, r.predictions());
            out.printf(Locale.ROOT, "%-24s %7s %12s %9s %13s%n", "type", "items", "exact_match", "vqa_items",
                    "vqa_accuracy");
            if (counts.size() > 1 || !counts.containsKey("")) {
                for (Map.Entry<String, int[]> c : counts.entrySet()) {
                    String type = c.getKey().isEmpty() ? "(none)" : c.getKey();
                    String fitting = fittingScore(c.getKey(), world);
                    out.printf(Locale.ROOT, "%-24s %7d %12s %9d %13s%s%n", type, c.getValue()[0],
                            score(r.perTypeExactMatch().get(c.getKey())), c.getValue()[1],
                            score(r.perTypeVqaAccuracy().getOrDefault(c.getKey(), Double.NaN)),
                            fitting.isEmpty() ? "" : "  " + fitting);
                }
            }
            out.printf(Locale.ROOT, "%-24s %7d %12s %9d %13s%n", "overall", r.items(), score(r.exactMatch()),
                    r.vqaItems(), score(r.vqaAccuracy()));
            out.println("exact_match=" + score(r.exactMatch()) + " vqa_accuracy=" + score(r.vqaAccuracy()));
            out.flush();
        }

        private static void writePredictions(Path file, List<TrainingExample> items, List<String> predictions) {
            List<JsonObject> lines = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                TrainingExample e = items.get(i);
                JsonObject o = new JsonObject();
                o.addProperty("image", e.image().toString());
                o.addProperty("query", e.query());
                o.addProperty("type", e.type());
                o.addProperty("prediction", predictions.get(i));
                JsonArray refs = new JsonArray();
                e.references().forEach(refs::add);
                o.add("answers", refs);
                lines.add(o);
            }
            writeJsonLines(file, lines);
        }
    }

    /** Writes {@code --predictions}: one JSON object per line. */
    static void writeJsonLines(Path file, List<JsonObject> lines) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (JsonObject o : lines) {
                    w.write(o.toString());
                    w.newLine();
                }
            }
        } catch (IOException e) {
            throw new VlalignException("cannot write --predictions " + file + ": " + e.getMessage()
                    + "; check that the folder is writable", e);
        }
    }

    /**
     * {@code vlalign eval rec}: referring-expression comprehension, the boxes a model gives for expressions,
     * scored by IoU against the true boxes ({@link BoxAccuracy}).
     *
     * <p>Each model family is asked in its own convention ({@link RecConvention}): LLaVA-1.5 with its REC prompt
     * about the image padded to a square, its answer's coordinates mapped from that square back to the image; a shapes-world model (the default
     * model) with the world's box question; other families with LLaVA-1.5's prompt. The first {@code [a, b, c,
     * d]} of the answer is the box ({@link BoundingBox#parse}); an answer without one scores IoU 0 and is counted
     * as unparseable. The model answers through {@link VlModel#ask}, so its own prompt template and image
     * preprocessing apply.
     *
     * <p>Not thread-safe: one instance per command-line run.
     *
     * @since 0.3.0
     */
    @Command(
            name = "rec",
            header = "Box accuracy (IoU >= 0.5) and mean IoU on referring expressions.",
            description = {
                "Ask for the box of every referring expression of --data (JSONL: {\"image\",",
                "\"expression\", \"box\": [x0, y0, x1, y1] in [0, 1] or \"bbox\": [x, y, w, h]",
                "in pixels}), in the model family's convention, and score the first",
                "[x0, y0, x1, y1] of each answer by IoU; an answer without one scores 0.",
                "Without --model it evaluates the embedded default model. Ends with:",
                "iou@0.5=<x> mean_iou=<y> items=<n> unparseable=<u>"
            },
            footer = {"", "Examples:",
                "  vlalign eval rec --data shapes-rec.jsonl",
                "  vlalign eval rec --model models/llava-1.5-7b --data refcoco-val.jsonl \\",
                "      --images coco/train2014 --predictions rec-predictions.jsonl"})
    static final class Rec implements Callable<Integer> {

        @Spec CommandSpec spec;

        @ParentCommand EvalCommand parent;

        @Mixin HelpOption help;

        @Mixin ModelOptions model;

        @Option(names = "--data", required = true, paramLabel = "FILE",
                description = "The referring expressions (JSONL).")
        Path data;

        @Option(names = "--images", paramLabel = "DIR",
                description = "Folder that image paths are relative to (default: the data file's folder).")
        Path images;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
                description = "Evaluate only the first N items (0: all).")
        int limit;

        @Option(names = "--predictions", paramLabel = "FILE",
                description = "Also write each item's answer, its box and IoU as JSON lines to FILE.")
        Path predictions;

        @Mixin GenerationOptions generation;

        @Override
        public Integer call() {
            parent.checkNoWorldOptions(spec);
            Path modelDir = model.checkFolder();
            GenerationConfig config = generation.toConfig(spec);
            if (limit < 0) {
                throw new ParameterException(spec.commandLine(), "--limit must be >= 0 but was " + limit);
            }
            Path file = data.toAbsolutePath().normalize();
            if (!Files.isRegularFile(file)) {
                throw new VlalignException("--data " + file + " does not exist or is not a file; pass a JSONL"
                        + " referring-expression set.");
            }
            Path root = images != null ? images.toAbsolutePath().normalize() : file.getParent();
            List<ReferringExpressions.Item> items = ReferringExpressions.read(file, root);
            if (limit > 0 && items.size() > limit) {
                items = items.subList(0, limit);
            }
            if (items.isEmpty()) {
                throw new VlalignException("--data " + file + " holds no referring expressions.");
            }
            RecConvention convention = RecConvention.of(modelDir);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            List<String> answers = new ArrayList<>();
            List<Optional<BoundingBox>> boxes = new ArrayList<>();
            try (VlModel vl = model.load(err)) {
                ProgressBar bar = new ProgressBar(err, System.console() != null, "expressions");
                for (ReferringExpressions.Item item : items) {
                    String answer = vl.ask(convention.image(item.image()), convention.prompt(item.expression()),
                            config).text();
                    answers.add(answer);
                    boxes.add(BoundingBox.parse(answer).map(b -> convention.toImage(b, item.width(), item.height())));
                    bar.update(answers.size(), items.size(), item.image().getFileName().toString());
                }
                bar.finish();
            }
            List<BoundingBox> truths = items.stream().map(ReferringExpressions.Item::truth).toList();
            BoxAccuracy result = BoxAccuracy.score(truths, boxes);
            if (predictions != null) {
                writeRecPredictions(predictions.toAbsolutePath().normalize(), items, answers, boxes);
            }
            out.printf(Locale.ROOT, "%d referring expressions of %s, box convention: %s%n", result.items(), file,
                    convention.label());
            out.printf(Locale.ROOT, "%-12s %9s %7s %12s%n", "iou@0.5", "mean_iou", "items", "unparseable");
            out.printf(Locale.ROOT, "%-12s %9s %7d %12d%n", score(result.accuracy()), score(result.meanIou()),
                    result.items(), result.unparseable());
            out.printf(Locale.ROOT, "iou@0.5=%s mean_iou=%s items=%d unparseable=%d%n", score(result.accuracy()),
                    score(result.meanIou()), result.items(), result.unparseable());
            out.flush();
            return 0;
        }

        private static void writeRecPredictions(Path file, List<ReferringExpressions.Item> items,
                List<String> answers, List<Optional<BoundingBox>> boxes) {
            List<JsonObject> lines = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                ReferringExpressions.Item item = items.get(i);
                JsonObject o = new JsonObject();
                o.addProperty("image", item.image().toString());
                o.addProperty("expression", item.expression());
                o.addProperty("prediction", answers.get(i));
                o.add("box", boxes.get(i).map(Rec::array).orElse(null));
                o.add("truth", array(item.truth()));
                o.addProperty("iou", boxes.get(i).map(item.truth()::iou).orElse(0.0));
                lines.add(o);
            }
            writeJsonLines(file, lines);
        }

        private static JsonArray array(BoundingBox b) {
            JsonArray a = new JsonArray();
            a.add(b.x0());
            a.add(b.y0());
            a.add(b.x1());
            a.add(b.y1());
            return a;
        }
    }

    /**
     * {@code vlalign eval retrieval}: Recall@1/5/10 text→image and image→text.
     *
     * <p>Not thread-safe: one instance per command-line run.
     *
     * @since 0.1.0
     */
    @Command(
            name = "retrieval",
            header = "Recall@1/5/10 of text-image retrieval on a Karpathy split.",
            description = {
                "Embed every image and caption of one split of a Karpathy-format caption",
                "file (dataset_coco.json, dataset_flickr30k.json) and report Recall@1/5/10",
                "text->image and image->text. Ends with (text->image):",
                "recall@1=<x> recall@5=<y> recall@10=<z>"
            },
            footer = {"", "Example:",
                "  vlalign eval retrieval --model models/blip2-itm \\",
                "      --captions dataset_coco.json --images coco --split test"})
    static final class Retrieval implements Callable<Integer> {

        private static final int[] KS = {1, 5, 10};

        @Spec CommandSpec spec;

        @ParentCommand EvalCommand parent;

        @Mixin HelpOption help;

        @Mixin ModelOptions model;

        @Option(names = "--captions", required = true, paramLabel = "FILE",
                description = "Karpathy-format caption file, e.g. dataset_coco.json.")
        Path captions;

        @Option(names = "--images", required = true, paramLabel = "DIR",
                description = "Folder the images' filepath/filename are relative to.")
        Path images;

        @Option(names = "--split", paramLabel = "NAME", defaultValue = "test",
                description = "The split to evaluate (default: ${DEFAULT-VALUE}; 'all' for every image).")
        String split;

        @Override
        public Integer call() {
            parent.checkNoWorldOptions(spec);
            model.checkFolder();
            Path json = captions.toAbsolutePath().normalize();
            if (!Files.isRegularFile(json)) {
                throw new VlalignException("--captions " + json + " does not exist or is not a file; pass a"
                        + " Karpathy-format caption file such as dataset_coco.json.");
            }
            Path root = images.toAbsolutePath().normalize();
            if (!Files.isDirectory(root)) {
                throw new VlalignException("--images " + root + " is not a folder; pass the folder the caption"
                        + " file's image paths are relative to.");
            }
            CaptionDataset dataset = CaptionDataset.load(json, root, split.equals("all") ? null : split);
            if (dataset.images().isEmpty() || dataset.captionCount() == 0) {
                throw new VlalignException("split '" + split + "' of " + json + " has no images with captions; pass"
                        + " --split with a split the file has (train, val, test, restval) or 'all'.");
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            RetrievalEvaluator.Result result;
            try (VlModel vl = model.load(err)) {
                FeatureExtractor fe = vl.featureExtractor();
                List<Features> imageVectors = new ArrayList<>();
                List<Features> textVectors = new ArrayList<>();
                List<Integer> owner = new ArrayList<>();
                ProgressBar bar = new ProgressBar(err, System.console() != null, "images");
                int n = dataset.images().size();
                for (CaptionDataset.Image image : dataset.images()) {
                    imageVectors.add(fe.embedImage(ImageInput.of(image.file())));
                    for (String caption : image.captions()) {
                        textVectors.add(fe.embedText(caption));
                        owner.add(imageVectors.size() - 1);
                    }
                    bar.update(imageVectors.size(), n, image.filename());
                }
                bar.finish();
                result = RetrievalEvaluator.evaluate(imageVectors, textVectors,
                        owner.stream().mapToInt(Integer::intValue).toArray(), KS);
            }
            out.printf(Locale.ROOT, "%d images, %d captions (split %s)%n", result.images(), result.texts(), split);
            out.printf(Locale.ROOT, "%-12s %8s %8s %8s%n", "direction", "R@1", "R@5", "R@10");
            out.printf(Locale.ROOT, "%-12s %8s %8s %8s%n", "text->image", score(result.recall(1).textToImage()),
                    score(result.recall(5).textToImage()), score(result.recall(10).textToImage()));
            out.printf(Locale.ROOT, "%-12s %8s %8s %8s%n", "image->text", score(result.recall(1).imageToText()),
                    score(result.recall(5).imageToText()), score(result.recall(10).imageToText()));
            StringBuilder line = new StringBuilder();
            for (int k : KS) {
                RecallAtK r = result.recall(k);
                line.append(line.length() == 0 ? "" : " ").append("recall@").append(k).append('=')
                        .append(score(r.textToImage()));
            }
            out.println(line);
            out.flush();
            return 0;
        }
    }
}
