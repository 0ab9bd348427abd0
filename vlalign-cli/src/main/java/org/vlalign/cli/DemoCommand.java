package org.vlalign.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.vlalign.Answer;
import org.vlalign.CheckpointException;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;
import org.vlalign.VlalignException;
import org.vlalign.defaultmodel.DefaultModel;
import org.vlalign.model.world.QaType;
import org.vlalign.model.world.WorldScores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vlalign demo}: shows in a few seconds what a model does, with nothing to download. It indexes images
 * into the model's own index, runs three text searches and prints the best hits, then asks four questions
 * about each of two images with the answers streaming in.
 *
 * <p>By default it runs the embedded default model on its bundled sample images (held-out scenes of the
 * shapes world it was trained on), and builds the searches and questions from their ground truth: each search
 * is a sample image's first caption (the hit that is that image is marked), each question comes from
 * {@code instructions.jsonl}, and the expected answer is printed beside the model's. Everything else printed
 * is the model's own output. With {@code --images DIR} it uses that folder and fixed generic searches and
 * questions, without expected answers.
 *
 * <pre>{@code
 * vlalign demo
 * vlalign demo --model models/blip2-opt --images ~/Pictures --max-new-tokens 32
 * }</pre>
 *
 * <p>Not thread-safe: one instance per command-line run.
 *
 * @since 0.1.0
 */
@Command(
        name = "demo",
        header = "Index sample images, search them by text and ask questions about two.",
        description = {
            "Show what the model does: index the images into the model's index, run",
            "three text searches (top 3 hits with scores) and ask four questions about",
            "each of two images, the answers streaming in.",
            "",
            "Without options: the embedded default model on its bundled sample images",
            "(held-out pictures of coloured shapes). The searches are captions of three",
            "of them (the hit that is the caption's own image is marked) and the",
            "questions come from their ground truth, whose answer is shown beside the",
            "model's. With --images DIR: that folder, generic searches and questions."
        },
        footer = {"", "Examples:", "  vlalign demo", "  vlalign demo --model models/instructblip --images ~/Pictures"})
final class DemoCommand implements Callable<Integer> {

    /** The searches over a folder of the user's images, which has no ground truth. */
    static final List<String> GENERIC_QUERIES = List.of("a red circle", "a blue square", "a green triangle");

    /** The search for something the sample scenes do not hold. */
    static final String UNSEEN_QUERY = "a dog on a beach";

    /** The questions about a folder of the user's images; the empty one asks for a description. */
    static final List<String> GENERIC_QUESTIONS =
            List.of("", "how many shapes are there?", "is there a red circle?", "is there a blue square?");

    /** The question types asked about the first and the second image, in order of preference. */
    private static final List<List<String>> TYPE_ORDER = List.of(
            List.of("colour", "count", "position", "relationship", "existence", "shape"),
            List.of("shape", "existence", "relationship", "position", "count", "colour"));

    private static final int SEARCHES = 3;
    private static final int HITS_SHOWN = 3;
    private static final int IMAGES_ASKED = 2;
    private static final int QUESTIONS_PER_IMAGE = 4;
    private static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

    @Spec CommandSpec spec;

    @Mixin HelpOption help;

    @Mixin ModelOptions model;

    @Option(names = "--images", paramLabel = "DIR", description = "A folder of images (jpg, jpeg, png, bmp, gif;"
            + " recursive) instead of the default model's sample images.")
    Path images;

    @Mixin GenerationOptions generation;

    /** A question with its ground-truth answer and type; both empty without ground truth. */
    record Question(String query, String expected, String type) {}

    /**
     * The images of a run, with the bundled ground truth when there is one.
     *
     * @param root the folder that ids are relative to
     * @param files the image files, sorted
     * @param captions each image's first caption (empty without ground truth)
     * @param questions each image's questions (empty without ground truth)
     */
    record Samples(Path root, List<Path> files, Map<Path, String> captions, Map<Path, List<Question>> questions) {
        boolean hasGroundTruth() {
            return !captions.isEmpty();
        }

        String id(Path file) {
            return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
        }
    }

    @Override
    public Integer call() {
        GenerationConfig config = generation.toConfig(spec);
        model.checkFolder();
        Samples samples = images == null ? bundled() : folder(images);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (VlModel vl = model.load(err)) {
            String name = model.usesDefault() ? "the embedded default model" : "model " + model.displayName();
            out.println("vlalign demo: " + name + ", " + samples.files().size() + " images"
                    + (samples.hasGroundTruth() ? " (the default model's held-out sample scenes, never seen in"
                            + " training)" : " under " + samples.root()));
            List<Path> indexed = index(vl, samples, out, err);
            search(vl, samples, indexed, out);
            ask(vl, samples, indexed, config, out, err);
            out.println();
            out.println("Next, search images of your own: vlalign index" + model.asArgument() + " FOLDER, then"
                    + " vlalign search" + model.asArgument() + " \"TEXT\" (both use the model's own index).");
            out.flush();
        }
        return 0;
    }

    /** Indexes every file into the model's own index; returns the files that could be indexed. */
    private static List<Path> index(VlModel vl, Samples samples, PrintWriter out, PrintWriter err) {
        // Fails here, with the library's message, if the model cannot embed for search.
        vl.featureExtractor().embeddingSpace();
        ProgressBar bar = new ProgressBar(err, System.console() != null, "images");
        List<Path> indexed = new ArrayList<>();
        Map<Path, String> skipped = new LinkedHashMap<>();
        long start = System.nanoTime();
        int done = 0;
        for (Path file : samples.files()) {
            String id = samples.id(file);
            try {
                vl.index(id, ImageInput.of(file), Map.of("source", file.toString()));
                indexed.add(file);
            } catch (VlalignException | UncheckedIOException e) {
                skipped.put(file, e.getMessage());
            }
            bar.update(++done, samples.files().size(), id);
        }
        bar.finish();
        out.printf(Locale.ROOT, "%nIndexed %d images into the model's index in %.1f s.%n", indexed.size(),
                (System.nanoTime() - start) / 1e9);
        if (!skipped.isEmpty()) {
            out.println("Skipped files:");
            skipped.forEach((f, why) -> out.println("  " + f + ": " + why));
        }
        out.flush();
        if (indexed.isEmpty()) {
            throw new VlalignException("None of the " + samples.files().size() + " images under " + samples.root()
                    + " could be read (see the skipped files above). Pass --images a folder of PNG, JPEG, BMP"
                    + " or GIF files.");
        }
        return indexed;
    }

    /**
     * Three searches: the first captions of three sample images, or generic queries; with the samples, a
     * fourth for something they do not hold, to show the "no good match" signal.
     */
    private static void search(VlModel vl, Samples samples, List<Path> indexed, PrintWriter out) {
        List<String> queries = new ArrayList<>();
        List<Path> owners = new ArrayList<>();
        if (samples.hasGroundTruth()) {
            for (int i = 0; i < SEARCHES; i++) {
                Path file = indexed.get(i * indexed.size() / SEARCHES); // spread over the samples
                queries.add(samples.captions().get(file));
                owners.add(file);
            }
            queries.add(UNSEEN_QUERY);
            owners.add(null);
        } else {
            queries.addAll(GENERIC_QUERIES);
        }
        for (int q = 0; q < queries.size(); q++) {
            Path owner = owners.isEmpty() ? null : owners.get(q);
            boolean unseen = samples.hasGroundTruth() && owner == null;
            String ownId = owner == null ? null : samples.id(owner);
            // With a known owner, rank every image to say where the owner landed if not shown.
            List<SearchHit> hits = vl.search(queries.get(q), owner == null ? HITS_SHOWN : indexed.size());
            out.println();
            out.println("Search \"" + queries.get(q) + "\"");
            if (owner != null) {
                out.println("  (the first caption of " + ownId + ")");
            }
            if (unseen) {
                out.println("  (nothing like it among these scenes of shapes)");
            }
            for (int r = 0; r < Math.min(HITS_SHOWN, hits.size()); r++) {
                SearchHit hit = hits.get(r);
                out.printf(Locale.ROOT, "  %2d  %.4f  %s%s%s%n", r + 1, hit.score(), hit.id(),
                        hit.hasRelevance() ? String.format(Locale.ROOT, "  relevance %.2f", hit.relevance()) : "",
                        hit.id().equals(ownId) ? "  <- its image" : "");
            }
            SearchCommand.noGoodMatch(hits).ifPresent(m -> out.println("  " + m));
            if (owner != null) {
                int rank = 0;
                while (rank < hits.size() && !hits.get(rank).id().equals(ownId)) {
                    rank++;
                }
                if (rank >= HITS_SHOWN) {
                    out.println("      its image ranks "
                            + (rank < hits.size() ? "#" + (rank + 1) : "below #" + hits.size()) + " of "
                            + indexed.size());
                }
            }
            out.flush();
        }
    }

    /** Four questions about each of two images, answers streaming; expected answers beside when known. */
    private static void ask(VlModel vl, Samples samples, List<Path> indexed, GenerationConfig config,
            PrintWriter out, PrintWriter err) {
        Map<String, int[]> byType = new LinkedHashMap<>(); // type -> {right, asked}
        for (int i = 0; i < Math.min(IMAGES_ASKED, indexed.size()); i++) {
            Path file = indexed.get(i);
            List<Question> questions = samples.hasGroundTruth()
                    ? pick(samples.questions().getOrDefault(file, List.of()), TYPE_ORDER.get(i))
                    : GENERIC_QUESTIONS.stream().map(q -> new Question(q, "", "")).toList();
            out.println();
            out.println("Ask about " + samples.id(file));
            ImageInput image = ImageInput.of(file);
            for (Question q : questions) {
                String label = q.type().isEmpty() ? "" : "[" + q.type() + "] ";
                out.println("  Q: " + label + (q.query().isEmpty() ? "(no question: the model's description)"
                        : q.query()));
                out.print("  A: ");
                out.flush();
                AnswerPrinter printer = new AnswerPrinter(out, err, true);
                Answer answer = vl.ask(image, q.query(), config, printer);
                printer.finish(answer, q.expected().isEmpty() ? "" : "    (expected: " + q.expected() + ")");
                if (!q.expected().isEmpty()) {
                    int[] tally = byType.computeIfAbsent(q.type(), t -> new int[2]);
                    tally[0] += right(q, answer.text()) ? 1 : 0;
                    tally[1]++;
                }
            }
        }
        if (!byType.isEmpty()) {
            printAccuracy(out, byType);
        }
        out.flush();
    }

    /**
     * Whether an answer is right: the relation and both objects for a relationship (the wording around them
     * aside), the expected answer exactly otherwise.
     */
    static boolean right(Question q, String answer) {
        if (q.type().equals(QaType.RELATIONSHIP.label())) {
            return WorldScores.relationshipCorrect(answer, q.expected());
        }
        return normalize(answer).equals(normalize(q.expected()));
    }

    /** The per-type accuracy of the questions just asked, then the total. */
    static void printAccuracy(PrintWriter out, Map<String, int[]> byType) {
        int right = 0;
        int asked = 0;
        out.println();
        out.println("Accuracy of these answers by question type (relationship: the relation and both objects;"
                + " others: exact match):");
        for (Map.Entry<String, int[]> e : byType.entrySet()) {
            int[] t = e.getValue();
            out.printf(Locale.ROOT, "  %-13s %d of %d%n", e.getKey(), t[0], t[1]);
            right += t[0];
            asked += t[1];
        }
        out.printf(Locale.ROOT, "  %-13s %d of %d%n", "all", right, asked);
    }

    /** Up to four questions of different types, in the order of preference. */
    static List<Question> pick(List<Question> questions, List<String> typeOrder) {
        List<Question> picked = new ArrayList<>();
        for (String type : typeOrder) {
            if (picked.size() == QUESTIONS_PER_IMAGE) {
                break;
            }
            questions.stream().filter(q -> q.type().equals(type)).findFirst().ifPresent(picked::add);
        }
        return picked;
    }

    private static String normalize(String s) {
        return s.strip().toLowerCase(Locale.ROOT);
    }

    /** The default model's sample images with their ground truth. */
    private static Samples bundled() {
        List<Path> files = DefaultModel.sampleImages();
        if (files.isEmpty()) {
            throw new CheckpointException("The default model's sample folder " + DefaultModel.folder().resolve(
                    "samples") + " holds no images; the vlalign-default-model jar is damaged. Pass --images DIR"
                    + " to use your own.");
        }
        List<Path> normalized = files.stream().map(f -> f.toAbsolutePath().normalize()).toList();
        Path root = normalized.get(0).getParent();
        Path samplesDir = root.getParent(); // ground-truth paths are relative to it ("images/x.png")
        Map<Path, String> captions = new LinkedHashMap<>();
        for (JsonObject o : readJsonl(samplesDir.resolve("captions.jsonl"))) {
            captions.putIfAbsent(samplesDir.resolve(o.get("image").getAsString()).normalize(),
                    o.get("answer").getAsString());
        }
        Map<Path, List<Question>> questions = new LinkedHashMap<>();
        for (JsonObject o : readJsonl(samplesDir.resolve("instructions.jsonl"))) {
            questions.computeIfAbsent(samplesDir.resolve(o.get("image").getAsString()).normalize(),
                    k -> new ArrayList<>()).add(new Question(o.get("query").getAsString(),
                    o.get("answer").getAsString(), o.has("type") ? o.get("type").getAsString() : ""));
        }
        for (Path f : normalized) {
            if (!captions.containsKey(f)) {
                throw new CheckpointException("The default model's sample image " + f + " has no caption in "
                        + samplesDir.resolve("captions.jsonl") + "; the vlalign-default-model jar is damaged.");
            }
        }
        return new Samples(root, normalized, captions, questions);
    }

    private static List<JsonObject> readJsonl(Path file) {
        List<JsonObject> out = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CheckpointException("Cannot read the default model's ground truth " + file + ": "
                    + e.getMessage() + "; the vlalign-default-model jar is damaged, or pass --images DIR.", e);
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            try {
                JsonObject o = JsonParser.parseString(lines.get(i)).getAsJsonObject();
                if (!o.has("image") || !o.has("answer") || !o.has("query")) {
                    throw new JsonParseException("missing image, query or answer");
                }
                out.add(o);
            } catch (RuntimeException e) {
                throw new CheckpointException("Line " + (i + 1) + " of the default model's ground truth " + file
                        + " is malformed (" + e.getMessage() + "); the vlalign-default-model jar is damaged.", e);
            }
        }
        return out;
    }

    /** Every image file under a folder, sorted; hidden folders (such as an index) are skipped. */
    private static Samples folder(Path dir) {
        Path root = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new VlalignException("Image folder " + root + (Files.exists(root) ? " is not a folder"
                    : " does not exist") + ". Pass --images a folder of PNG, JPEG, BMP or GIF files.");
        }
        List<Path> files = new ArrayList<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    boolean hidden = !d.equals(root) && d.getFileName().toString().startsWith(".");
                    return hidden ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String name = file.getFileName().toString();
                    int dot = name.lastIndexOf('.');
                    if (attrs.isRegularFile() && dot > 0
                            && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT))) {
                        files.add(file);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // unreadable entries are not images we can show
                }
            });
        } catch (IOException e) {
            throw new VlalignException("Could not list the image folder " + root + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new VlalignException("No image files (jpg, jpeg, png, bmp, gif) under " + root + ". Pass"
                    + " --images a folder that holds images, or leave it out for the bundled samples.");
        }
        files.sort(null);
        return new Samples(root, files, Map.of(), Map.of());
    }
}
