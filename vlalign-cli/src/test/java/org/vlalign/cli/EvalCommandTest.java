package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import org.vlalign.cli.CliRunner.Result;
import org.vlalign.core.checkpoint.SafetensorsReader;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.testing.TestImages;

/** {@code vlalign eval vqa} and {@code vlalign eval retrieval} on tiny random checkpoints. */
class EvalCommandTest {

    private static final Color[] COLOURS = {Color.RED, Color.BLUE, Color.GREEN, Color.YELLOW, Color.WHITE,
        Color.BLACK};
    private static final String[] NAMES = {"red", "blue", "green", "yellow", "white", "black"};

    @TempDir static Path shared;

    private static Path clip;
    private static Path llama;
    private static Path llava;
    private static Path images;
    private static Path vqa;
    private static Path karpathy;

    @TempDir Path tmp;

    @BeforeAll
    static void writeFixtures() throws IOException {
        TinyCheckpoints checkpoints = TinyCheckpoints.write(shared, 21);
        clip = checkpoints.clip();
        llama = checkpoints.llama();
        llava = checkpoints.llava();
        images = shared.resolve("images");
        JsonArray entries = new JsonArray();
        List<String> vqaLines = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            Color bg = COLOURS[i % 6];
            Color sq = COLOURS[(i / 6 + 2 * i + 1) % 6];
            String file = "img" + i + ".png";
            TestImages.writePng(images.resolve("val").resolve(file), bg, sq, 20 + 4 * (i % 3));
            JsonObject e = new JsonObject();
            e.addProperty("filepath", "val");
            e.addProperty("filename", file);
            e.addProperty("split", i < 10 ? "test" : "train");
            JsonArray sentences = new JsonArray();
            sentences.add(sentence("a " + NAMES[i % 6] + " picture with a " + NAMES[(i / 6 + 2 * i + 1) % 6]
                    + " square"));
            if (i % 2 == 0) {
                sentences.add(sentence("the " + NAMES[(i / 6 + 2 * i + 1) % 6] + " square on " + NAMES[i % 6]));
            }
            e.add("sentences", sentences);
            entries.add(e);
            if (i < 5) {
                vqaLines.add("{\"image\": \"val/" + file + "\", \"query\": \"what colour is the square?\","
                        + " \"answers\": [\"" + NAMES[(i / 6 + 2 * i + 1) % 6] + "\", \"" + NAMES[i % 6] + "\"],"
                        + " \"type\": \"" + (i < 3 ? "what colour" : "other") + "\"}");
            }
        }
        JsonObject root = new JsonObject();
        root.add("images", entries);
        karpathy = shared.resolve("dataset_tiny.json");
        Files.writeString(karpathy, root.toString(), StandardCharsets.UTF_8);
        vqa = images.resolve("vqa.jsonl");
        Files.write(vqa, vqaLines, StandardCharsets.UTF_8);
    }

    private static JsonObject sentence(String raw) {
        JsonObject s = new JsonObject();
        s.addProperty("raw", raw);
        return s;
    }

    @Test
    void should_print_usage_and_exit_0_when_help_is_asked() {
        Result eval = CliRunner.run("eval", "--help");
        assertEquals(0, eval.exitCode(), eval.toString());
        assertTrue(eval.out().contains("vqa") && eval.out().contains("retrieval"), eval.toString());
        for (String mode : List.of("vqa", "retrieval")) {
            Result r = CliRunner.run("eval", mode, "--help");
            assertEquals(0, r.exitCode(), r.toString());
            assertTrue(r.out().contains("Usage: vlalign eval " + mode), r.toString());
            assertTrue(r.out().contains("--model"), r.toString());
        }
    }

    @Test
    void should_exit_2_when_arguments_are_unusable() {
        List<String[]> bad = List.of(
                new String[] {"eval"},
                new String[] {"eval", "bogus"},
                new String[] {"eval", "vqa", "--model", llava.toString()},
                // (eval vqa --data FILE alone is usable: it evaluates the embedded default model)
                new String[] {"eval", "vqa", "--vision", clip.toString(), "--lm", llama.toString(), "--data",
                    vqa.toString()}, // no adaptor for separate parts
                new String[] {"eval", "vqa", "--model", llava.toString(), "--data", vqa.toString(), "--limit", "-1"},
                new String[] {"eval", "vqa", "--model", llava.toString(), "--data", vqa.toString(), "--template",
                    "alpaca"},
                new String[] {"eval", "retrieval", "--model", clip.toString(), "--images", images.toString()},
                new String[] {"eval", "retrieval", "--model", clip.toString(), "--captions", karpathy.toString()});
        for (String[] args : bad) {
            Result r = CliRunner.run(args);
            assertEquals(2, r.exitCode(), String.join(" ", args) + "\n" + r);
        }
    }

    @Test
    void should_use_the_default_model_when_retrieval_has_no_model() {
        Result r = CliRunner.run("eval", "retrieval", "--captions", karpathy.toString(), "--images",
                images.toString());

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains(ModelOptions.DEFAULT_MODEL_NOTICE), r.toString());
        assertTrue(r.out().contains("10 images, 15 captions"), r.toString());
    }

    @Test
    void should_score_exact_match_and_vqa_accuracy_of_a_trained_adaptor() throws Exception {
        // train the reference layout (CLIP features -> linear adaptor -> Llama) to name each image's colour
        List<String> train = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            train.add("{\"image\": \"val/img" + i + ".png\", \"query\": \"what colour is it?\", \"answer\": \""
                    + NAMES[i] + "\"}");
        }
        Path trainFile = images.resolve("train-" + tmp.getFileName() + ".jsonl");
        Files.write(trainFile, train, StandardCharsets.UTF_8);
        Path run = tmp.resolve("run");
        Result t = CliRunner.run("train", "--vision", clip.toString(), "--lm", llama.toString(), "--data",
                trainFile.toString(), "--out", run.toString(), "--epochs", "60", "--batch-size", "4", "--lr-start",
                "0.001", "--lr-peak", "0.03", "--lr-final", "0.01", "--warmup-steps", "5", "--weight-decay", "0");
        assertEquals(0, t.exitCode(), t.toString());
        // evaluation items: several human answers (VQA accuracy) or one (exact match only), some wrong on purpose
        String[][] answers = {{"red", "red", "blue"}, {"blue"}, {"white", "black"}, {"yellow", "yellow", "yellow",
            "green"}};
        String[] types = {"what colour", "what colour", "other", "other"};
        List<String> eval = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            eval.add("{\"image\": \"val/img" + i + ".png\", \"query\": \"what colour is it?\", \"answers\": [\""
                    + String.join("\", \"", answers[i]) + "\"], \"type\": \"" + types[i] + "\"}");
        }
        Path evalFile = images.resolve("eval-" + tmp.getFileName() + ".jsonl");
        Files.write(evalFile, eval, StandardCharsets.UTF_8);
        Path predictions = tmp.resolve("p.jsonl");

        Result r = CliRunner.run("eval", "vqa", "--vision", clip.toString(), "--lm", llama.toString(), "--adaptor",
                run.resolve("adaptor.safetensors").toString(), "--data", evalFile.toString(), "--max-new-tokens", "4",
                "--predictions", predictions.toString());

        assertEquals(0, r.exitCode(), r.toString());
        List<String> lines = Files.readAllLines(predictions, StandardCharsets.UTF_8);
        assertEquals(4, lines.size());
        double em = 0;
        double acc = 0;
        int vqaItems = 0;
        for (int i = 0; i < 4; i++) {
            String p = JsonParser.parseString(lines.get(i)).getAsJsonObject().get("prediction").getAsString();
            assertEquals(NAMES[i], p, "the trained adaptor answers item " + i + " with its colour");
            em += List.of(answers[i]).contains(p) ? 1 : 0;
            if (answers[i].length >= 2) {
                // official VQA accuracy: over each human answer left out, min(1, matches among the others / 3)
                double sum = 0;
                for (int out = 0; out < answers[i].length; out++) {
                    int matches = 0;
                    for (int j = 0; j < answers[i].length; j++) {
                        matches += j != out && answers[i][j].equals(p) ? 1 : 0;
                    }
                    sum += Math.min(1.0, matches / 3.0);
                }
                acc += sum / answers[i].length;
                vqaItems++;
            }
        }
        String last = r.out().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertEquals(String.format(Locale.ROOT, "exact_match=%.4f vqa_accuracy=%.4f", em / 4, acc / vqaItems), last,
                r.toString());
        assertTrue(r.out().contains("what colour"), r.toString());
        assertTrue(r.out().contains("overall"), r.toString());
    }

    @Test
    void should_answer_as_the_model_does_when_the_adaptor_is_the_models_own() throws Exception {
        Path own = tmp.resolve("own.safetensors");
        try (SafetensorsReader r = SafetensorsReader.open(llava.resolve("model.safetensors"))) {
            SafetensorsWriter w = SafetensorsWriter.create().metadata("format", "pt");
            for (String n : List.of("linear_1.weight", "linear_1.bias", "linear_2.weight", "linear_2.bias")) {
                String key = "multi_modal_projector." + n;
                w.addF32(key, r.readFloats(key), r.tensors().get(key).shape());
            }
            w.write(own);
        }
        Path withOwn = tmp.resolve("a.jsonl");
        Path builtIn = tmp.resolve("b.jsonl");
        Result a = CliRunner.run("eval", "vqa", "--model", llava.toString(), "--data", vqa.toString(),
                "--max-new-tokens", "5", "--adaptor", own.toString(), "--predictions", withOwn.toString());
        Result b = CliRunner.run("eval", "vqa", "--model", llava.toString(), "--data", vqa.toString(),
                "--max-new-tokens", "5", "--predictions", builtIn.toString());

        assertEquals(0, a.exitCode(), a.toString());
        assertEquals(0, b.exitCode(), b.toString());
        assertEquals(Files.readAllLines(builtIn), Files.readAllLines(withOwn));
    }

    @Test
    void should_fail_with_exit_1_when_the_adaptor_file_is_missing() {
        Result r = CliRunner.run("eval", "vqa", "--model", llava.toString(), "--data", vqa.toString(),
                "--adaptor", tmp.resolve("none.safetensors").toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("none.safetensors"), r.toString());
    }

    @Test
    void should_report_the_recall_of_independently_ranked_embeddings_when_evaluating_retrieval() {
        Result r = CliRunner.run("eval", "retrieval", "--model", clip.toString(), "--captions", karpathy.toString(),
                "--images", images.toString(), "--split", "test");

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("10 images, 15 captions"), r.toString());
        Matcher m = Pattern.compile("recall@1=([0-9.]+) recall@5=([0-9.]+) recall@10=([0-9.]+)\\s*$")
                .matcher(r.out());
        assertTrue(m.find(), r.toString());

        // text->image ranks from cosine similarities computed here, ties to the earlier image
        List<float[]> imageVectors = new ArrayList<>();
        List<float[]> textVectors = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        JsonArray entries = parse(karpathy).getAsJsonArray("images");
        try (VlModel model = VlModel.load(clip)) {
            for (int i = 0; i < entries.size(); i++) {
                JsonObject e = entries.get(i).getAsJsonObject();
                if (!e.get("split").getAsString().equals("test")) {
                    continue;
                }
                Path file = images.resolve(e.get("filepath").getAsString()).resolve(e.get("filename").getAsString());
                imageVectors.add(unit(model.featureExtractor().embedImage(ImageInput.of(file))));
                for (var s : e.getAsJsonArray("sentences")) {
                    textVectors.add(unit(model.featureExtractor().embedText(
                            s.getAsJsonObject().get("raw").getAsString())));
                    owner.add(imageVectors.size() - 1);
                }
            }
        }
        int[] ks = {1, 5, 10};
        for (int j = 0; j < 3; j++) {
            int hits = 0;
            for (int t = 0; t < textVectors.size(); t++) {
                int mine = owner.get(t);
                double own = dot(imageVectors.get(mine), textVectors.get(t));
                int rank = 0;
                for (int i = 0; i < imageVectors.size(); i++) {
                    double s = dot(imageVectors.get(i), textVectors.get(t));
                    if (s > own + 1e-6 || (Math.abs(s - own) <= 1e-6 && i < mine)) {
                        rank++;
                    }
                }
                hits += rank < ks[j] ? 1 : 0;
            }
            assertEquals(hits / (double) textVectors.size(), Double.parseDouble(m.group(j + 1)), 1e-4,
                    "recall@" + ks[j] + "\n" + r);
        }
    }

    private static JsonObject parse(Path file) {
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static float[] unit(Features f) {
        float[] v = f.data().clone();
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(n);
        }
        return v;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
