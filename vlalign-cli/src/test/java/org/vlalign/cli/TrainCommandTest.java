package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.cli.CliRunner.Result;
import org.vlalign.core.checkpoint.SafetensorsReader;
import org.vlalign.testing.TestImages;

/** {@code vlalign train}, and {@code eval vqa} on what it trained, with tiny random checkpoints. */
class TrainCommandTest {

    private static final Color[] COLOURS = {Color.RED, Color.BLUE, Color.GREEN, Color.YELLOW};
    private static final String[] NAMES = {"red", "blue", "green", "yellow"};

    @TempDir static Path shared;

    private static Path clip;
    private static Path llama;
    private static Path llava;
    private static Path data;

    @TempDir Path tmp;

    @BeforeAll
    static void writeModels() throws IOException {
        TinyCheckpoints checkpoints = TinyCheckpoints.write(shared, 11);
        clip = checkpoints.clip();
        llama = checkpoints.llama();
        llava = checkpoints.llava();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < COLOURS.length; i++) {
            TestImages.writePng(shared.resolve("images/img" + i + ".png"), COLOURS[i], COLOURS[(i + 2) % 4], 24);
            lines.add("{\"image\": \"images/img" + i + ".png\", \"query\": \"what colour is this?\", \"answer\": \""
                    + NAMES[i] + "\", \"type\": \"" + (i % 2 == 0 ? "colour" : "other") + "\"}");
        }
        data = shared.resolve("train.jsonl");
        Files.write(data, lines, StandardCharsets.UTF_8);
    }

    private static double loss(String out, String which) {
        Matcher m = Pattern.compile("loss initial ([0-9.]+), final ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        return Double.parseDouble(m.group(which.equals("initial") ? 1 : 2));
    }

    private static List<String> lossColumn(Path log) throws IOException {
        List<String> rows = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertEquals("step,epoch,position,loss,lr,grad_norm,examples_per_s,eta_s", rows.get(0));
        List<String> out = new ArrayList<>();
        for (String row : rows.subList(1, rows.size())) {
            String[] f = row.split(",");
            out.add(f[0] + ":" + f[3]);
        }
        return out;
    }

    @Test
    void should_print_usage_and_exit_0_when_help_is_asked() {
        Result r = CliRunner.run("train", "--help");

        assertEquals(0, r.exitCode(), r.toString());
        for (String option : List.of("--vision", "--lm", "--model", "--stage", "--data", "--mix", "--template",
                "--adaptor-init", "--out", "--epochs", "--batch-size", "--grad-accum", "--lr-start", "--lr-peak",
                "--lr-final", "--warmup-steps", "--weight-decay", "--clip-norm", "--seed", "--checkpoint-every",
                "--time-budget", "--resume", "--lowercase", "--strip-punctuation")) {
            assertTrue(r.out().contains(option), option + " missing: " + r);
        }
    }

    @Test
    void should_exit_2_when_arguments_are_unusable() {
        String out = tmp.resolve("run").toString();
        String d = data.toString();
        List<String[]> bad = List.of(
                new String[] {"train", "--data", d, "--out", out}, // no model
                new String[] {"train", "--model", llava.toString(), "--vision", clip.toString(), "--lm",
                    llama.toString(), "--data", d, "--out", out}, // both kinds of model
                new String[] {"train", "--vision", clip.toString(), "--data", d, "--out", out}, // --lm missing
                new String[] {"train", "--model", llava.toString(), "--out", out}, // --data missing
                new String[] {"train", "--model", llava.toString(), "--data", d}, // --out missing
                new String[] {"train", "--model", llava.toString(), "--data", d, "--out", out, "--epochs", "0"},
                new String[] {"train", "--model", llava.toString(), "--data", d, "--out", out, "--time-budget",
                    "soon"},
                new String[] {"train", "--model", llava.toString(), "--data", d, "--out", out, "--mix", "vqa"},
                new String[] {"train", "--model", llava.toString(), "--data", d, "--out", out, "--stage", "pre"},
                new String[] {"train", "--model", llava.toString(), "--data", d, "--out", out, "--template",
                    "alpaca"});
        for (String[] args : bad) {
            Result r = CliRunner.run(args);
            assertEquals(2, r.exitCode(), String.join(" ", args) + "\n" + r);
        }
        assertFalse(Files.exists(tmp.resolve("run")), "nothing may be written on a usage error");
    }

    @Test
    void should_parse_time_budgets() {
        TrainCommand c = new TrainCommand();
        c.spec = picocli.CommandLine.Model.CommandSpec.forAnnotatedObject(c);
        assertEquals(java.time.Duration.ofMinutes(30), c.parseDuration("30m"));
        assertEquals(java.time.Duration.ofMinutes(90), c.parseDuration("1h30m"));
        assertEquals(java.time.Duration.ofSeconds(45), c.parseDuration("45s"));
        assertEquals(java.time.Duration.ofHours(8), c.parseDuration("PT8H"));
    }

    @Test
    void should_train_an_adaptor_that_eval_vqa_loads_and_answers_with() throws Exception {
        Path run = tmp.resolve("run");
        Result train = CliRunner.run("train", "--vision", clip.toString(), "--lm", llama.toString(),
                "--stage", "instruct", "--data", data.toString(), "--out", run.toString(), "--epochs", "60",
                "--batch-size", "4", "--lr-start", "0.001", "--lr-peak", "0.03", "--lr-final", "0.01",
                "--warmup-steps", "5", "--weight-decay", "0", "--seed", "3");

        assertEquals(0, train.exitCode(), train.toString());
        Path adaptor = run.resolve("adaptor.safetensors");
        assertTrue(train.out().contains("Adaptor: " + adaptor), train.toString());
        assertTrue(train.err().contains("step 60/60"), train.toString());
        assertEquals(60, lossColumn(run.resolve("loss.csv")).size());
        assertTrue(loss(train.out(), "final") < 0.2 * loss(train.out(), "initial"), train.toString());
        try (SafetensorsReader r = SafetensorsReader.open(adaptor)) {
            assertTrue(r.tensors().containsKey("language_projection.weight"), r.tensors().keySet().toString());
        }

        Path predictions = tmp.resolve("pred.jsonl");
        Result eval = CliRunner.run("eval", "vqa", "--vision", clip.toString(), "--lm", llama.toString(),
                "--adaptor", adaptor.toString(), "--data", data.toString(), "--max-new-tokens", "4",
                "--predictions", predictions.toString());

        assertEquals(0, eval.exitCode(), eval.toString());
        // the trained adaptor makes the frozen Llama name each image's colour
        assertTrue(eval.out().strip().endsWith("exact_match=1.0000 vqa_accuracy=NaN"), eval.toString());
        assertTrue(eval.out().contains("colour"), eval.toString());
        List<String> lines = Files.readAllLines(predictions, StandardCharsets.UTF_8);
        assertEquals(4, lines.size());
        for (int i = 0; i < 4; i++) {
            assertTrue(lines.get(i).contains("\"prediction\":\"" + NAMES[i] + "\""), lines.get(i));
        }
    }

    @Test
    void should_continue_an_interrupted_run_exactly_when_resumed() throws Exception {
        String[] common = {"train", "--model", llava.toString(), "--data", data.toString(), "--epochs", "2",
            "--batch-size", "1", "--grad-accum", "2", "--seed", "9", "--lr-peak", "0.01"};
        Path whole = tmp.resolve("whole");
        Result a = CliRunner.run(concat(common, "--out", whole.toString()));
        assertEquals(0, a.exitCode(), a.toString());

        Path split = tmp.resolve("split");
        Result first = CliRunner.run(concat(common, "--out", split.toString(), "--max-steps", "3"));
        assertEquals(0, first.exitCode(), first.toString());
        assertTrue(first.out().contains("Stopped at step 3 of 4"), first.toString());
        assertFalse(Files.exists(split.resolve("adaptor.safetensors")), first.toString());
        assertTrue(Files.exists(split.resolve("checkpoint.safetensors")), first.toString());

        Result again = CliRunner.run(concat(common, "--out", split.toString()));
        assertEquals(2, again.exitCode(), "a second run into the same --out needs --resume: " + again);

        Result resumed = CliRunner.run(concat(common, "--out", split.toString(), "--resume"));
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertTrue(resumed.out().contains("Adaptor: " + split.resolve("adaptor.safetensors")), resumed.toString());
        assertTrue(resumed.out().contains("Steps: 4 of 4"), resumed.toString());
        // the resumed loss curve is the uninterrupted one, step for step
        assertEquals(lossColumn(whole.resolve("loss.csv")), lossColumn(split.resolve("loss.csv")));
        assertEquals(loss(a.out(), "initial"), loss(resumed.out(), "initial"));
        try (SafetensorsReader r = SafetensorsReader.open(split.resolve("adaptor.safetensors"));
                SafetensorsReader w = SafetensorsReader.open(whole.resolve("adaptor.safetensors"))) {
            assertTrue(r.tensors().containsKey("multi_modal_projector.linear_2.weight"), r.tensors().toString());
            for (String name : w.tensors().keySet()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(w.readFloats(name), r.readFloats(name), 1e-6f,
                        name);
            }
        }
    }

    @Test
    void should_fail_with_exit_1_when_resume_finds_no_checkpoint() {
        Result r = CliRunner.run("train", "--model", llava.toString(), "--data", data.toString(), "--out",
                tmp.resolve("empty").toString(), "--resume");

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("no checkpoint.safetensors"), r.toString());
    }

    @Test
    void should_fail_with_exit_1_naming_what_is_missing_when_a_model_has_no_language_model() {
        Result searchOnly = CliRunner.run("train", "--model", clip.toString(), "--data", data.toString(), "--out",
                tmp.resolve("clip-run").toString());
        assertEquals(1, searchOnly.exitCode(), searchOnly.toString());
        assertTrue(searchOnly.err().contains("--model " + clip) && searchOnly.err().contains("model_type clip")
                && searchOnly.err().contains("has no language model"), searchOnly.toString());

        Result notVision = CliRunner.run("train", "--vision", llama.toString(), "--lm", llama.toString(), "--data",
                data.toString(), "--out", tmp.resolve("llama-run").toString());
        assertEquals(1, notVision.exitCode(), notVision.toString());
        assertTrue(notVision.err().contains("--vision " + llama) && notVision.err().contains("'llama'"),
                notVision.toString());
    }

    @Test
    void should_continue_from_an_adaptor_when_adaptor_init_is_given() throws Exception {
        Path stage1 = tmp.resolve("stage1");
        Result a = CliRunner.run("train", "--model", llava.toString(), "--data", data.toString(), "--out",
                stage1.toString(), "--batch-size", "4", "--lr-peak", "0.02");
        assertEquals(0, a.exitCode(), a.toString());
        Path stage2 = tmp.resolve("stage2");
        Result b = CliRunner.run("train", "--model", llava.toString(), "--stage", "instruct", "--data",
                data.toString(), "--out", stage2.toString(), "--batch-size", "4", "--lr-start", "0", "--lr-peak",
                "0", "--lr-final", "0", "--weight-decay", "0", "--mix", "colour=1,other=1",
                "--adaptor-init", stage1.resolve("adaptor.safetensors").toString());

        assertEquals(0, b.exitCode(), b.toString());
        // a zero learning rate keeps the initial adaptor, so stage 2 exports stage 1's weights unchanged
        try (SafetensorsReader r1 = SafetensorsReader.open(stage1.resolve("adaptor.safetensors"));
                SafetensorsReader r2 = SafetensorsReader.open(stage2.resolve("adaptor.safetensors"))) {
            for (String name : r1.tensors().keySet()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(r1.readFloats(name), r2.readFloats(name), name);
            }
        }
    }

    @Test
    void should_train_on_coco_captions_when_images_are_given() throws Exception {
        Path coco = tmp.resolve("captions_train2017.json");
        Files.writeString(coco, "{\"images\": [{\"id\": 7, \"file_name\": \"img0.png\"}, {\"id\": 9,"
                + " \"file_name\": \"img1.png\"}], \"annotations\": [{\"image_id\": 7, \"caption\": \"A red"
                + " picture.\"}, {\"image_id\": 9, \"caption\": \"A blue square!\"}, {\"image_id\": 7,"
                + " \"caption\": \"the red photo\"}]}", StandardCharsets.UTF_8);

        Result noImages = CliRunner.run("train", "--model", llava.toString(), "--data", coco.toString(), "--out",
                tmp.resolve("a").toString());
        assertEquals(2, noImages.exitCode(), noImages.toString());
        assertTrue(noImages.err().contains("--images"), noImages.toString());

        Path run = tmp.resolve("b");
        Result r = CliRunner.run("train", "--model", llava.toString(), "--data", coco.toString(), "--images",
                shared.resolve("images").toString(), "--out", run.toString(), "--batch-size", "2", "--lowercase",
                "--strip-punctuation", "--checkpoint-every", "1");
        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Training data: 3 examples"), r.toString());
        assertTrue(r.out().contains("Steps: 2 of 2"), r.toString());
        assertTrue(r.err().contains("checkpoint at step 1: "), r.toString());
        assertEquals(2, lossColumn(run.resolve("loss.csv")).size());
        assertTrue(Files.exists(run.resolve("adaptor.safetensors")), r.toString());
    }

    @Test
    void should_fail_with_exit_1_when_mix_names_a_type_the_data_lacks() {
        Result r = CliRunner.run("train", "--model", llava.toString(), "--data", data.toString(), "--out",
                tmp.resolve("run").toString(), "--mix", "colour=0.5,relation=0.5");

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("relation") && r.err().contains("[colour, other]"), r.toString());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
