package org.vlalign.model.world;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import org.vlalign.Answer;
import org.vlalign.AskRequest;
import org.vlalign.Checks;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;
import org.vlalign.core.TemporaryFolders;
import org.vlalign.core.train.AnswerEvaluator;
import org.vlalign.core.train.TextNormalization;
import org.vlalign.core.train.TrainingData;
import org.vlalign.core.train.TrainingExample;

/**
 * Scores a model on a fresh sample of the shapes world: exact match per question type (colour, shape,
 * count, position, existence, relationship, description) and the {@link WorldScores} that fit relationship,
 * description and box answers (relation and both objects; object F1 and CIDEr-D; accuracy at IoU ≥ 0.5 and mean
 * IoU) for {@link VlModel#ask}, and text→image
 * Recall@1/5/10 for {@link VlModel#search} with each scene's first caption as the query and only that scene's
 * image counting as a hit (the COCO protocol).
 *
 * <p>The scenes are held-out ({@link Split#TEST}) scenes {@code 0..samples-1} of a world built with the given
 * seed; any seed gives a new draw of the same world. Evaluation writes them to a temporary folder, which it
 * deletes afterwards, and indexes their images into the model's own index under ids
 * {@code world-<seed>-<scene>} (so evaluate a model whose index holds nothing else, or the recall is diluted).
 * Questions are answered greedily, in batches.
 *
 * <p>Box questions ({@link QaType#BOX}) are scored by IoU only: they are left out of the exact match (overall
 * and per type), so that its numbers keep their meaning from before box questions existed, and they are asked
 * after all the others, so that the others are asked in the same batches as before.
 *
 * <p>Not thread-safe with respect to the model's index; run one evaluation per model at a time.
 *
 * @since 0.1.0
 */
public final class WorldEvaluation {
    /** Questions asked per {@link VlModel#askBatch} call. */
    static final int BATCH = 16;

    private WorldEvaluation() {}

    /**
     * The scores.
     *
     * <p>Immutable and thread-safe.
     *
     * @param worldSeed the world seed
     * @param scenes the number of scenes
     * @param questions the number of questions asked, box questions included
     * @param exactMatch exact match over all questions but box questions, in [0, 1]
     * @param perType exact match per question type but box, in first-seen order
     * @param recall1 text→image Recall@1
     * @param recall5 text→image Recall@5
     * @param recall10 text→image Recall@10
     * @param examples up to 8 (question, expected, predicted) triples, for a look at the answers
     * @param scores the scores that fit relationship, description and box answers (relation and both objects,
     *     object F1, CIDEr-D; box accuracy at IoU ≥ 0.5 and mean IoU), beside their exact match
     * @since 0.1.0
     */
    public record Result(long worldSeed, int scenes, int questions, double exactMatch, Map<String, Double> perType,
            double recall1, double recall5, double recall10, List<List<String>> examples, WorldScores.Summary scores) {
        /** Copies. */
        public Result {
            perType = Collections.unmodifiableMap(new LinkedHashMap<>(perType));
            examples = List.copyOf(examples);
        }

        /**
         * The one-line summary: {@code exact_match=<0..1> recall@1=<0..1> recall@5=<0..1> recall@10=<0..1>
         * iou@0.5=<0..1>}, the last being the box questions' accuracy at IoU ≥ 0.5 ({@code NaN} without box
         * questions).
         *
         * @return the line
         */
        public String summaryLine() {
            return String.format(Locale.ROOT,
                    "exact_match=%.4f recall@1=%.4f recall@5=%.4f recall@10=%.4f iou@0.5=%.4f",
                    exactMatch, recall1, recall5, recall10, scores.box().accuracy());
        }
    }

    /**
     * Evaluates.
     *
     * @param model a model that can ask and search (e.g. the embedded default model)
     * @param worldSeed the world seed
     * @param samples the number of scenes, 10 to 100,000
     * @param config the generation settings of the answers (greedy with a few dozen tokens is usual)
     * @param progress receives the number of questions answered so far, after each batch
     * @return the scores
     * @throws InvalidArgumentException if {@code samples} is out of range
     */
    public static Result evaluate(VlModel model, long worldSeed, int samples, GenerationConfig config,
            IntConsumer progress) {
        Checks.checkNotNull(progress, "progress");
        return evaluate(model, worldSeed, samples, config, (done, total) -> progress.accept(done));
    }

    /** Receives the evaluation's progress; called on the evaluating thread. */
    @FunctionalInterface
    public interface Progress {
        /**
         * Questions answered so far.
         *
         * @param done answered, 0 first (once the questions are drawn)
         * @param total all questions of the draw
         */
        void answered(int done, int total);
    }

    /**
     * Evaluates, reporting the number of questions answered and their total (known once the scenes are
     * drawn, before the first answer), so a caller can show an ETA.
     *
     * @param model a model that can ask and search
     * @param worldSeed the world seed
     * @param samples the number of scenes, 10 to 100,000
     * @param config the generation settings of the answers
     * @param progress receives (answered, total) before the first batch and after each
     * @return the scores
     * @throws InvalidArgumentException if {@code samples} is out of range
     * @since 0.2.0
     */
    public static Result evaluate(VlModel model, long worldSeed, int samples, GenerationConfig config,
            Progress progress) {
        Checks.checkNotNull(model, "model");
        Checks.checkNotNull(config, "config");
        Checks.checkNotNull(progress, "progress");
        if (samples < 10 || samples > 100_000) {
            throw new InvalidArgumentException("samples must be between 10 and 100000 scenes but was " + samples
                    + " (Recall@10 needs at least 10 images)");
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("vlalign-world-eval-");
            World world = World.builder().seed(worldSeed).build();
            WorldExport.write(dir, world, Split.TEST, 0, samples);
            List<TrainingExample> all = TrainingData.readJsonl(dir.resolve(WorldExport.INSTRUCTIONS_JSONL),
                    dir, TextNormalization.NONE);
            List<TrainingExample> questions = new ArrayList<>(); // every type but box, in file order
            List<TrainingExample> boxes = new ArrayList<>();
            for (TrainingExample e : all) {
                (e.type().equals(QaType.BOX.label()) ? boxes : questions).add(e);
            }
            int total = all.size();
            progress.answered(0, total);
            List<String> predictions = answer(model, questions, config, 0, total, progress);
            List<String> boxPredictions = answer(model, boxes, config, questions.size(), total, progress);
            AnswerEvaluator.Report report = AnswerEvaluator.score(questions, predictions);
            List<List<String>> examples = new ArrayList<>();
            for (int i = 0; i < questions.size() && examples.size() < 8; i += Math.max(1, questions.size() / 8)) {
                TrainingExample e = questions.get(i);
                examples.add(List.of(e.query(), e.answer(), predictions.get(i)));
            }
            List<TrainingExample> scored = new ArrayList<>(questions);
            scored.addAll(boxes);
            List<String> scoredPredictions = new ArrayList<>(predictions);
            scoredPredictions.addAll(boxPredictions);
            double[] recall = searchRecall(model, dir, worldSeed);
            return new Result(worldSeed, samples, total, report.exactMatch(), report.perTypeExactMatch(),
                    recall[0], recall[1], recall[2], examples, WorldScores.score(scored, scoredPredictions));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the evaluation scenes to a temporary folder", e);
        } finally {
            TemporaryFolders.deleteQuietly(dir);
        }
    }

    /** Answers the items in batches of {@link #BATCH}, reporting {@code before + answered} of {@code total}. */
    private static List<String> answer(VlModel model, List<TrainingExample> items, GenerationConfig config,
            int before, int total, Progress progress) {
        List<String> predictions = new ArrayList<>(items.size());
        for (int from = 0; from < items.size(); from += BATCH) {
            List<AskRequest> batch = new ArrayList<>();
            for (TrainingExample e : items.subList(from, Math.min(items.size(), from + BATCH))) {
                batch.add(new AskRequest(ImageInput.of(e.image()), e.query()));
            }
            for (Answer a : model.askBatch(batch, config)) {
                predictions.add(a.text());
            }
            progress.answered(before + predictions.size(), total);
        }
        return predictions;
    }

    /** Indexes every image, searches with each image's first caption; returns Recall@1, @5, @10. */
    private static double[] searchRecall(VlModel model, Path dir, long worldSeed) throws IOException {
        Map<String, String> firstCaption = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve(WorldExport.CAPTIONS_JSONL), StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            firstCaption.putIfAbsent(o.get("image").getAsString(), o.get("answer").getAsString());
        }
        Map<String, String> idOf = new LinkedHashMap<>();
        for (String image : firstCaption.keySet()) {
            String name = Path.of(image).getFileName().toString().replaceFirst("\\.png$", "");
            String id = "world-" + worldSeed + "-" + name;
            idOf.put(image, id);
            model.index(id, ImageInput.of(dir.resolve(image)), Map.of("caption", firstCaption.get(image)));
        }
        int[] hits = new int[3];
        int[] ks = {1, 5, 10};
        for (Map.Entry<String, String> e : firstCaption.entrySet()) {
            List<SearchHit> top = model.search(e.getValue(), 10);
            int rank = -1;
            for (int r = 0; r < top.size(); r++) {
                if (top.get(r).id().equals(idOf.get(e.getKey()))) {
                    rank = r;
                    break;
                }
            }
            for (int i = 0; i < ks.length; i++) {
                if (rank >= 0 && rank < ks[i]) {
                    hits[i]++;
                }
            }
        }
        int n = firstCaption.size();
        return new double[] {hits[0] / (double) n, hits[1] / (double) n, hits[2] / (double) n};
    }
}
