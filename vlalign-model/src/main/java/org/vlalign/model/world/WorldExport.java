package org.vlalign.model.world;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonWriter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.vlalign.Checks;
import org.vlalign.InvalidArgumentException;

/**
 * Writes a split of a {@link World} as a dataset folder that the training recipe (and ordinary
 * captioning / instruction-tuning code) can read.
 *
 * <p>Layout of {@code dir}:
 *
 * <ul>
 *   <li>{@code images/<split>_<index>.png} – one RGB PNG per scene;
 *   <li>{@code captions_karpathy.json} – the Karpathy COCO/Flickr format,
 *       {@code {"dataset","images":[{"filepath","filename","imgid","split","sentids",
 *       "sentences":[{"raw","tokens","imgid","sentid"}]}]}}, every caption of every scene,
 *       canonical caption first, tokens without punctuation;
 *   <li>{@code captions.jsonl} – one {@code {"image","query":"","answer"}} line per caption;
 *   <li>{@code instructions.jsonl} – one {@code {"image","query","answer","type"}} line per question,
 *       {@code type} being {@link QaType#label()}: per scene its {@link World#questions}, then its {@link
 *       World#boxQuestions} (so the lines of the other types keep their order and content);
 *   <li>{@code world.json} – the world settings, split and index range, to reproduce the folder.
 * </ul>
 *
 * <p>Image paths in the JSONL files are relative to {@code dir}. Existing files are overwritten.
 *
 * <pre>{@code
 * World world = World.builder().seed(1).build();
 * WorldExport.write(Path.of("data/train"), world, 10_000, Split.TRAIN);
 * }</pre>
 *
 * <p>Scenes are rendered in parallel on the common fork-join pool; the output does not depend on
 * the thread count. Stateless and thread-safe; concurrent exports must use different folders.
 *
 * @since 0.1.0
 */
public final class WorldExport {
    /** The image folder inside an export. */
    public static final String IMAGES = "images";
    /** The Karpathy-format caption file. */
    public static final String KARPATHY_JSON = "captions_karpathy.json";
    /** The caption lines. */
    public static final String CAPTIONS_JSONL = "captions.jsonl";
    /** The instruction (question–answer) lines. */
    public static final String INSTRUCTIONS_JSONL = "instructions.jsonl";
    /** The settings the folder was produced with. */
    public static final String WORLD_JSON = "world.json";

    /** Scenes rendered in parallel before their files are written in order. */
    private static final int CHUNK = 256;

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private WorldExport() {}

    /**
     * What an export wrote.
     *
     * <p>Instances are immutable and thread-safe.
     *
     * @param images the number of images
     * @param captions the number of captions (Karpathy sentences and caption lines)
     * @param instructions the number of instruction lines
     * @since 0.1.0
     */
    public record Summary(int images, int captions, int instructions) {}

    /**
     * Writes scenes {@code 0..n-1} of a split.
     *
     * @param dir the output folder, created if missing
     * @param world the world
     * @param n the number of scenes, at least 1
     * @param split the split
     * @return the counts written
     * @throws IOException if a file cannot be written
     */
    public static Summary write(Path dir, World world, int n, Split split) throws IOException {
        return write(dir, world, split, 0, n);
    }

    /**
     * Writes scenes {@code first..first+n-1} of a split.
     *
     * @param dir the output folder, created if missing
     * @param world the world
     * @param split the split
     * @param first the first scene index, at least 0
     * @param n the number of scenes, at least 1
     * @return the counts written
     * @throws IOException if a file cannot be written
     */
    public static Summary write(Path dir, World world, Split split, long first, int n)
            throws IOException {
        Checks.checkNotNull(dir, "dir");
        Checks.checkNotNull(world, "world");
        Checks.checkNotNull(split, "split");
        if (n < 1 || first < 0 || first > World.MAX_INDEX - n) {
            throw new InvalidArgumentException(
                    "cannot export " + n + " scenes from index " + first
                            + "; use n >= 1 and 0 <= first <= " + World.MAX_INDEX + " - n");
        }
        Path images = dir.resolve(IMAGES);
        Files.createDirectories(images);
        int captionCount = 0;
        int instructionCount = 0;
        try (Writer karpathyOut = newWriter(dir.resolve(KARPATHY_JSON));
                JsonWriter karpathy = new JsonWriter(karpathyOut);
                BufferedWriter captions = newWriter(dir.resolve(CAPTIONS_JSONL));
                BufferedWriter instructions = newWriter(dir.resolve(INSTRUCTIONS_JSONL))) {
            karpathy.setHtmlSafe(false);
            karpathy.beginObject();
            karpathy.name("dataset").value("vlalign-shapes");
            karpathy.name("images").beginArray();
            for (int chunkStart = 0; chunkStart < n; chunkStart += CHUNK) {
                List<Rendered> chunk =
                        render(world, split, first, chunkStart, Math.min(n, chunkStart + CHUNK));
                for (int c = 0; c < chunk.size(); c++) {
                    int k = chunkStart + c;
                    Rendered item = chunk.get(c);
                    Scene scene = item.scene();
                    String fileName = scene.name() + ".png";
                    String relative = IMAGES + "/" + fileName;
                    Files.write(images.resolve(fileName), item.png());
                    List<String> sentences = item.captions();
                    List<Integer> sentIds = new ArrayList<>();
                    for (int s = 0; s < sentences.size(); s++) {
                        sentIds.add(captionCount + s);
                    }
                    karpathy.beginObject();
                    karpathy.name("filepath").value(IMAGES);
                    karpathy.name("filename").value(fileName);
                    karpathy.name("imgid").value(k);
                    karpathy.name("split").value(split.word());
                    karpathy.name("sentids").beginArray();
                    for (int id : sentIds) {
                        karpathy.value(id);
                    }
                    karpathy.endArray();
                    karpathy.name("sentences").beginArray();
                    for (int s = 0; s < sentences.size(); s++) {
                        String raw = sentences.get(s);
                        karpathy.beginObject();
                        karpathy.name("raw").value(raw);
                        karpathy.name("tokens").beginArray();
                        for (String token : World.tokenize(raw)) {
                            if (!isPunctuation(token)) {
                                karpathy.value(token);
                            }
                        }
                        karpathy.endArray();
                        karpathy.name("imgid").value(k);
                        karpathy.name("sentid").value(sentIds.get(s));
                        karpathy.endObject();
                        JsonObject line = new JsonObject();
                        line.addProperty("image", relative);
                        line.addProperty("query", "");
                        line.addProperty("answer", raw);
                        captions.write(GSON.toJson(line));
                        captions.write('\n');
                    }
                    karpathy.endArray();
                    karpathy.endObject();
                    captionCount += sentences.size();
                    for (QaPair qa : item.questions()) {
                        JsonObject line = new JsonObject();
                        line.addProperty("image", relative);
                        line.addProperty("query", qa.question());
                        line.addProperty("answer", qa.answer());
                        line.addProperty("type", qa.type().label());
                        instructions.write(GSON.toJson(line));
                        instructions.write('\n');
                        instructionCount++;
                    }
                }
            }
            karpathy.endArray();
            karpathy.endObject();
        }
        writeSettings(dir.resolve(WORLD_JSON), world, split, first, n);
        return new Summary(n, captionCount, instructionCount);
    }

    private static BufferedWriter newWriter(Path file) throws IOException {
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    }

    /** One scene with everything an export writes for it. */
    private record Rendered(Scene scene, byte[] png, List<String> captions, List<QaPair> questions) {}

    /**
     * Renders scenes {@code from..to-1} (relative to {@code first}) in parallel; the world is
     * thread-safe and every scene a pure function of its index, so the files do not depend on the
     * thread count. Returned in index order.
     */
    private static List<Rendered> render(World world, Split split, long first, int from, int to) {
        return IntStream.range(from, to).parallel()
                .mapToObj(k -> {
                    Scene scene = world.sample(split, first + k);
                    List<QaPair> questions = new ArrayList<>(world.questions(scene));
                    questions.addAll(world.boxQuestions(scene));
                    return new Rendered(scene, world.renderPng(scene), world.captions(scene), questions);
                })
                .collect(Collectors.toList());
    }

    private static boolean isPunctuation(String token) {
        return token.equals(".") || token.equals(",") || token.equals("?");
    }

    private static void writeSettings(Path file, World world, Split split, long first, int n)
            throws IOException {
        JsonObject settings = new JsonObject();
        settings.addProperty("seed", world.seed());
        settings.addProperty("imageSize", world.imageSize());
        settings.addProperty("minShapes", world.minShapes());
        settings.addProperty("maxShapes", world.maxShapes());
        settings.addProperty("noiseAmplitude", world.noiseAmplitude());
        settings.addProperty("minVisibleFraction", world.minVisibleFraction());
        com.google.gson.JsonArray heldOut = new com.google.gson.JsonArray();
        for (World.Combination c : world.heldOut()) {
            heldOut.add(c.colour().word() + " " + c.kind().word());
        }
        settings.add("heldOut", heldOut);
        settings.addProperty("split", split.word());
        settings.addProperty("first", first);
        settings.addProperty("count", n);
        Files.writeString(file, new GsonBuilder().setPrettyPrinting().create().toJson(settings) + "\n",
                StandardCharsets.UTF_8);
    }
}
