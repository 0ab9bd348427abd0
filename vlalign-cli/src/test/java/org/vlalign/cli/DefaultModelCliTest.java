package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import org.vlalign.defaultmodel.DefaultModel;
import org.vlalign.cli.CliRunner.Result;
import org.vlalign.cli.DemoCommand.Question;

/**
 * The commands on the embedded default model, run in-process without {@code --model}: {@code demo},
 * {@code eval --world-seed}, and {@code describe}, {@code index} and {@code search} falling back to the default
 * model. The model is extracted under {@code target/vlalign-cache} (the {@code vlalign.cache} system property
 * set in the module's pom). Nothing asserts a particular answer: the shipped weights may be replaced.
 */
class DefaultModelCliTest {

    private static final Pattern SUMMARY = Pattern.compile(
            "^exact_match=[01]\\.\\d+ recall@1=[01]\\.\\d+ recall@5=[01]\\.\\d+ recall@10=[01]\\.\\d+"
                    + " iou@0\\.5=([01]\\.\\d+|NaN)$");

    @TempDir Path tmp;

    @Test
    void should_index_search_three_captions_and_answer_eight_questions_when_demo_runs_without_options() {
        Result r = CliRunner.run("demo", "--max-new-tokens", "24");

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains(ModelOptions.DEFAULT_MODEL_NOTICE), r.toString());
        List<String> lines = r.out().lines().toList();
        int images = DefaultModel.sampleImages().size();
        assertTrue(r.out().contains("Indexed " + images + " images into the model's index"), r.toString());
        assertEquals(4, lines.stream().filter(l -> l.startsWith("Search \"")).count(), r.toString());
        assertEquals(3, lines.stream().filter(l -> l.startsWith("  (the first caption of ")).count(), r.toString());
        assertEquals(12, lines.stream()
                .filter(l -> l.matches(" {2}[ 1-3][0-9]? {2}-?\\d\\.\\d{4} {2}\\S+ {2}relevance -?\\d+\\.\\d{2}.*"))
                .count(), "three hits per search, each with its relevance:\n" + r);
        // the search for something the scenes do not hold says so, and only that one
        int unseen = lines.indexOf("Search \"" + DemoCommand.UNSEEN_QUERY + "\"");
        assertTrue(unseen > 0 && lines.get(unseen + 5).startsWith("  No good match"), r.toString());
        assertEquals(1, lines.stream().filter(l -> l.startsWith("  No good match")).count(), r.toString());
        List<String> answers = lines.stream().filter(l -> l.startsWith("  A: ")).toList();
        assertEquals(8, answers.size(), r.toString());
        for (String a : answers) {
            int expected = a.lastIndexOf("    (expected: ");
            assertTrue(expected > 0 && a.endsWith(")"), "the ground truth beside each answer: " + a);
            assertFalse(a.substring("  A: ".length(), expected).isBlank(), "the model's answer is empty: " + a);
        }
        assertEquals(2, lines.stream().filter(l -> l.startsWith("Ask about ")).count(), r.toString());
        assertEquals(8, lines.stream().filter(l -> l.matches(" {2}Q: \\[[a-z]+\\] .+\\?")).count(), r.toString());
        int table = lines.indexOf("Accuracy of these answers by question type (relationship: the relation and both"
                + " objects; others: exact match):");
        assertTrue(table > 0, "the demo ends with the per-type accuracy: " + r);
        int all = table + 1;
        while (all < lines.size() && !lines.get(all).startsWith("  all ")) {
            assertTrue(lines.get(all).matches("  [a-z]+ +\\d of [1-8]"), lines.get(all));
            all++;
        }
        assertTrue(all < lines.size() && lines.get(all).matches("  all +[0-8] of 8"), r.toString());
        // after the table, only the hint about the user's own images
        assertTrue(lines.subList(all + 1, lines.size()).stream().allMatch(l -> l.isBlank() || l.startsWith("Next, ")),
                r.toString());
    }

    @Test
    void should_use_generic_searches_and_questions_and_list_unreadable_files_when_images_are_given()
            throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("mine"));
        for (Path sample : DefaultModel.sampleImages().subList(0, 3)) {
            Files.copy(sample, folder.resolve(sample.getFileName()));
        }
        Path broken = TestImages.corruptJpeg(folder.resolve("broken.jpg"));

        Result r = CliRunner.run("demo", "--images", folder.toString(), "--max-new-tokens", "12");

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("Indexed 3 images"), r.toString());
        assertTrue(r.out().contains(broken.toString()), "the unreadable file is listed: " + r);
        for (String query : DemoCommand.GENERIC_QUERIES) {
            assertTrue(r.out().contains("Search \"" + query + "\""), r.toString());
        }
        assertEquals(8, r.out().lines().filter(l -> l.startsWith("  A: ")).count(), r.toString());
        assertFalse(r.out().contains("expected:"), "no ground truth for the user's images: " + r);
    }

    @Test
    void should_fail_with_exit_1_when_demo_images_folder_is_missing() {
        Result r = CliRunner.run("demo", "--images", tmp.resolve("nowhere").toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Image folder " + tmp.resolve("nowhere") + " does not exist"), r.toString());
    }

    @Test
    void should_pick_four_questions_of_different_types_in_order_of_preference() {
        List<Question> questions = List.of(new Question("q1", "a", "count"), new Question("q2", "b", "colour"),
                new Question("q3", "c", "count"), new Question("q4", "d", "shape"), new Question("q5", "e",
                        "existence"), new Question("q6", "f", "position"));

        List<Question> picked = DemoCommand.pick(questions, List.of("colour", "count", "relationship", "position",
                "existence", "shape"));

        assertEquals(List.of("q2", "q1", "q6", "q5"), picked.stream().map(Question::query).toList());
    }

    @Test
    void should_ask_the_default_model_for_boxes_in_the_worlds_words_when_eval_rec_has_no_model() throws IOException {
        org.vlalign.model.world.World world = org.vlalign.model.world.World.builder().seed(12).build();
        Path data = tmp.resolve("rec");
        org.vlalign.model.world.WorldExport.write(data, world, org.vlalign.model.world.Split.TEST, 0, 2);
        List<String> lines = new java.util.ArrayList<>();
        for (long i = 0; i < 2; i++) {
            org.vlalign.model.world.Scene scene = world.sample(org.vlalign.model.world.Split.TEST, i);
            for (org.vlalign.model.world.QaPair qa : world.boxQuestions(scene)) {
                String name = qa.question().replace("give the bounding box of ", "").replace(".", "");
                lines.add("{\"image\": \"images/" + scene.name() + ".png\", \"expression\": \"" + name
                        + "\", \"box\": " + qa.answer() + "}");
            }
        }
        Path file = data.resolve("rec.jsonl");
        Files.write(file, lines);

        Result r = CliRunner.run("eval", "rec", "--data", file.toString(), "--max-new-tokens", "24");

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains(ModelOptions.DEFAULT_MODEL_NOTICE), r.toString());
        assertTrue(r.out().contains("box convention: shapes world"), r.toString());
        List<String> out = r.out().lines().toList();
        assertTrue(out.get(out.size() - 1).matches("iou@0\\.5=[01]\\.\\d{4} mean_iou=[01]\\.\\d{4} items="
                + lines.size() + " unparseable=\\d+"), r.toString());
    }

    @Test
    void should_evaluate_the_default_model_on_a_users_question_file_when_eval_vqa_has_no_model() throws IOException {
        Path data = tmp.resolve("mine");
        org.vlalign.model.world.WorldExport.write(data, org.vlalign.model.world.World.builder().seed(11).build(),
                org.vlalign.model.world.Split.TEST, 0, 3);
        Result r = CliRunner.run("eval", "vqa", "--data",
                data.resolve(org.vlalign.model.world.WorldExport.INSTRUCTIONS_JSONL).toString(), "--max-new-tokens",
                "48");

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains(ModelOptions.DEFAULT_MODEL_NOTICE), r.toString());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(lines.size() - 1).matches("exact_match=[01]\\.\\d{4} vqa_accuracy=NaN"), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("colour ")), "per type: " + r);
        assertTrue(r.out().contains("object_f1="), "descriptions get their fitting scores: " + r);
    }

    @Test
    void should_end_with_the_summary_line_when_evaluating_on_the_world() {
        Result r = CliRunner.run("eval", "--world-seed", "5", "--samples", "10", "--max-new-tokens", "48");

        assertEquals(0, r.exitCode(), r.toString());
        List<String> lines = r.out().lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(SUMMARY.matcher(last).matches(), "last line: " + last + "\n" + r);
        assertEquals(1, lines.stream().filter(l -> SUMMARY.matcher(l).matches()).count(), r.toString());
        assertTrue(r.out().contains("World seed 5: 10 held-out scenes"), r.toString());
        assertTrue(r.out().contains("Recall@1 ") && r.out().contains("Recall@10 "), r.toString());
        assertTrue(r.out().contains("overall"), r.toString());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("colour +[01]\\.\\d{4}")), "per type: " + r);
        assertTrue(r.out().lines().anyMatch(l -> l.matches(
                "description +[01]\\.\\d{4}  object_f1=[01]\\.\\d{4} cider_d=\\d+\\.\\d{4}")), "description: " + r);
        assertTrue(r.out().contains("Examples (question | expected | predicted):"), r.toString());
        assertTrue(r.err().contains(ModelOptions.DEFAULT_MODEL_NOTICE), r.toString());
        assertTrue(r.err().contains("questions 100%"), "the progress bar ends full: " + r);
        String total = r.out().lines().filter(l -> l.startsWith("World seed 5:")).findFirst().orElseThrow()
                .replaceAll(".*, (\\d+) questions$", "$1");
        assertTrue(r.err().contains("0/" + total + " questions"), "the total shows from the start: " + r);
        assertTrue(r.err().contains(" ETA "), "an ETA while answering: " + r);
    }

    @Test
    void should_refuse_fewer_than_ten_samples_with_a_usage_error() {
        Result r = CliRunner.run("eval", "--samples", "3", "--world-seed", "1");

        assertEquals(VlalignCli.EXIT_USAGE, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--samples must be between 10 and 100000 scenes but was 3"), r.toString());
        assertTrue(r.err().contains("Recall@10"), "says why: " + r);
        assertFalse(r.err().contains(ModelOptions.DEFAULT_MODEL_NOTICE), "refused before loading: " + r);
    }

    @Test
    void should_refuse_world_options_without_a_world_seed_or_before_a_mode() {
        Result noSeed = CliRunner.run("eval", "--samples", "20");
        Result beforeMode = CliRunner.run("eval", "--world-seed", "2", "vqa", "--data", "x.jsonl");

        assertEquals(VlalignCli.EXIT_USAGE, noSeed.exitCode(), noSeed.toString());
        assertTrue(noSeed.err().contains("go with --world-seed S"), noSeed.toString());
        assertEquals(VlalignCli.EXIT_USAGE, beforeMode.exitCode(), beforeMode.toString());
        assertTrue(beforeMode.err().contains("Options before 'vqa'"), beforeMode.toString());
    }

    @Test
    void should_describe_with_the_default_model_when_model_is_not_given() {
        Path image = DefaultModel.sampleImages().get(0);

        Result r = CliRunner.run("describe", "--image", image.toString(), "--max-new-tokens", "24");

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().startsWith(ModelOptions.DEFAULT_MODEL_NOTICE + System.lineSeparator()), r.toString());
        try (VlModel model = DefaultModel.load()) {
            Answer answer = model.ask(ImageInput.of(image), "", GenerationConfig.builder().maxNewTokens(24).build());
            assertEquals(answer.text() + System.lineSeparator(), r.out());
        }
    }

    @Test
    void should_index_and_search_with_the_default_model_when_model_is_not_given() {
        Path images = DefaultModel.sampleImages().get(0).getParent();
        Path index = tmp.resolve("samples.idx");

        Result indexed = CliRunner.run("index", "--index", index.toString(), images.toString());
        Result found = CliRunner.run("search", "--index", index.toString(), "-k", "4", "a", "red", "circle");

        assertEquals(0, indexed.exitCode(), indexed.toString());
        assertTrue(indexed.err().contains(ModelOptions.DEFAULT_MODEL_NOTICE), indexed.toString());
        assertTrue(indexed.out().contains("Indexed " + DefaultModel.sampleImages().size() + " new or changed"),
                indexed.toString());
        assertEquals(0, found.exitCode(), found.toString());
        // rank, score, relevance, id
        assertEquals(4, found.out().lines()
                .filter(l -> l.matches(" ?\\d+ {2}-?\\d\\.\\d{4} {2} *-?\\d+\\.\\d{2} {2}test_\\d+\\.png.*")).count(),
                found.toString());

        Result dog = CliRunner.run("search", "--index", index.toString(), "-k", "4", "a dog on a beach");
        assertEquals(0, dog.exitCode(), dog.toString());
        assertEquals(4, dog.out().lines().count(), "the closest images are still listed: " + dog);
        assertTrue(dog.err().contains("No good match"), dog.toString());
        assertFalse(found.err().contains("No good match"), "a red circle is among the samples: " + found);
    }
}
