package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.cli.CliRunner.Result;
import org.vlalign.core.metrics.BoundingBox;

/** {@code vlalign eval rec} on the engine-free fake model, which answers the box of an image's coloured pixels. */
class EvalRecCommandTest {

    @TempDir Path tmp;

    private Path model;
    private Path data;

    /** An 80x40 grey image with a red 20x20 square at pixels x 10..29, y 5..24 (or none). */
    private static void image(Path file, boolean square) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(80, 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.GRAY);
        g.fillRect(0, 0, 80, 40);
        if (square) {
            g.setColor(Color.RED);
            g.fillRect(10, 5, 20, 20);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    @BeforeEach
    void setUp() throws IOException {
        FakeVlModel.reset();
        model = FakeModelProvider.writeCheckpoint(tmp.resolve("model"), false);
        image(tmp.resolve("set/img/square.png"), true);
        image(tmp.resolve("set/img/grey.png"), false);
        data = tmp.resolve("set/rec.jsonl");
        Files.write(data, List.of(
                "{\"image\": \"img/square.png\", \"expression\": \"the red square\", \"box\": [0.125, 0.125, 0.375,"
                        + " 0.625]}",
                "",
                "{\"image\": \"img/square.png\", \"expression\": \"red thing\", \"bbox\": [10, 5, 20, 20]}",
                "{\"image\": \"img/square.png\", \"expression\": \"the right half\", \"box\": [0.5, 0.5, 1, 1]}",
                "{\"image\": \"img/grey.png\", \"expression\": \"the square\", \"box\": [0, 0, 0.5, 0.5]}"),
                StandardCharsets.UTF_8);
    }

    @Test
    void should_score_the_boxes_of_a_tiny_set_with_the_llava_prompt_for_a_family_without_a_convention()
            throws IOException {
        Path predictions = tmp.resolve("out/predictions.jsonl");
        Result r = CliRunner.run("eval", "rec", "--model", model.toString(), "--data", data.toString(),
                "--predictions", predictions.toString());

        assertEquals(0, r.exitCode(), r.toString());
        // The fake answers [0.13, 0.13, 0.38, 0.63] for the square; the grey image gets "no box".
        BoundingBox answered = new BoundingBox(0.13, 0.13, 0.38, 0.63);
        double iou = answered.iou(new BoundingBox(0.125, 0.125, 0.375, 0.625));
        assertTrue(iou > 0.9, "iou " + iou);
        List<String> lines = r.out().lines().toList();
        assertEquals(String.format(Locale.ROOT, "iou@0.5=0.5000 mean_iou=%.4f items=4 unparseable=1", iou / 2),
                lines.get(lines.size() - 1), r.toString());
        assertTrue(r.out().contains("box convention: none (llava-1.5 prompt)"), r.toString());
        assertEquals(RecConvention.LLAVA_PROMPT + "the red square", FakeVlModel.QUERIES.get(0));
        assertEquals(4, FakeVlModel.QUERIES.size());
        List<String> written = Files.readAllLines(predictions, StandardCharsets.UTF_8);
        assertEquals(4, written.size());
        JsonObject grey = JsonParser.parseString(written.get(3)).getAsJsonObject();
        assertTrue(grey.get("box").isJsonNull(), written.get(3));
        assertEquals(0.0, grey.get("iou").getAsDouble());
        assertEquals(iou, JsonParser.parseString(written.get(1)).getAsJsonObject().get("iou").getAsDouble(), 1e-9,
                "the pixel bbox converts to the same truth");
    }

    @Test
    void should_print_the_box_row_and_end_with_iou_in_the_world_evaluation() {
        Result r = CliRunner.run("eval", "--world-seed", "3", "--samples", "10", "--model", model.toString(),
                "--max-new-tokens", "8");

        assertEquals(0, r.exitCode(), r.toString());
        List<String> lines = r.out().lines().toList();
        // The fake answers every world question with "a <colour> picture ...": no box, no exact match.
        assertEquals("exact_match=0.0000 recall@1=1.0000 recall@5=1.0000 recall@10=1.0000 iou@0.5=0.0000"
                .replaceAll("recall@\\d+=1\\.0000", "recall"), lines.get(lines.size() - 1)
                .replaceAll("recall@\\d+=[01]\\.\\d{4}", "recall"), r.toString());
        assertTrue(lines.stream().anyMatch(l -> l.matches(
                "box +-  iou@0\\.5=0\\.0000 mean_iou=0\\.0000 \\(\\d+ boxes, not in the exact match\\)")), r.toString());
    }

    @Test
    void should_honour_limit() {
        Result r = CliRunner.run("eval", "rec", "--model", model.toString(), "--data", data.toString(), "--limit",
                "1");

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().strip().endsWith("iou@0.5=1.0000 mean_iou=" + String.format(Locale.ROOT, "%.4f",
                new BoundingBox(0.13, 0.13, 0.38, 0.63).iou(new BoundingBox(0.125, 0.125, 0.375, 0.625)))
                + " items=1 unparseable=0"), r.toString());
    }

    @Test
    void should_fail_naming_the_line_when_the_data_is_bad() throws IOException {
        String good = "{\"image\": \"img/square.png\", \"expression\": \"x\", \"box\": [0, 0, 1, 1]}";
        String[][] cases = {
            {"{not json", "line 2", "invalid JSON"},
            {"{\"image\": \"img/square.png\", \"expression\": \"x\", \"box\": [0, 0, 1.2, 1]}", "line 2", "[0, 1]"},
            {"{\"image\": \"img/square.png\", \"expression\": \"x\", \"box\": [0.6, 0, 0.5, 1]}", "line 2", "x0 <= x1"},
            {"{\"image\": \"img/square.png\", \"expression\": \"x\", \"bbox\": [70, 0, 20, 10]}", "line 2", "80x40"},
            {"{\"image\": \"img/none.png\", \"expression\": \"x\", \"box\": [0, 0, 1, 1]}", "line 2", "does not exist"},
            {"{\"image\": \"img/square.png\", \"box\": [0, 0, 1, 1]}", "line 2", "\"expression\""},
            {"{\"image\": \"img/square.png\", \"expression\": \"x\"}", "line 2", "exactly one of \"box\" and \"bbox\""},
            {"{\"image\": \"img/square.png\", \"expression\": \"x\", \"box\": [0, 0, 1]}", "line 2", "4 numbers"},
        };
        for (String[] c : cases) {
            Path bad = tmp.resolve("set/bad.jsonl");
            Files.write(bad, List.of(good, c[0]), StandardCharsets.UTF_8);
            FakeVlModel.reset();
            Result r = CliRunner.run("eval", "rec", "--model", model.toString(), "--data", bad.toString());
            assertEquals(VlalignCli.EXIT_FAILURE, r.exitCode(), c[0] + ": " + r);
            assertTrue(r.err().contains(bad.toString() + " " + c[1]) && r.err().contains(c[2]), c[0] + ": " + r);
            assertTrue(FakeVlModel.QUERIES.isEmpty(), "nothing is asked before the data is read: " + r);
        }
        Result missing = CliRunner.run("eval", "rec", "--model", model.toString(), "--data",
                tmp.resolve("nope.jsonl").toString());
        assertEquals(VlalignCli.EXIT_FAILURE, missing.exitCode(), missing.toString());
        assertTrue(missing.err().contains("does not exist"), missing.toString());
    }

    @Test
    void should_exit_2_on_usage_errors_and_print_its_help() {
        for (String[] args : new String[][] {
            {"eval", "rec", "--model", model.toString()},
            {"eval", "rec", "--model", model.toString(), "--data", data.toString(), "--limit", "-1"},
            {"eval", "--samples", "20", "rec", "--data", data.toString()}}) {
            Result r = CliRunner.run(args);
            assertEquals(VlalignCli.EXIT_USAGE, r.exitCode(), r.toString());
        }
        Result help = CliRunner.run("eval", "rec", "--help");
        assertEquals(0, help.exitCode(), help.toString());
        assertTrue(help.out().contains("Usage: vlalign eval rec") && help.out().contains("--model"), help.toString());
        Result eval = CliRunner.run("eval", "--help");
        assertTrue(eval.out().contains("rec ") && eval.out().contains("iou@0.5=<d>"), eval.toString());
    }

    /** A folder holding only {@code config.json}. */
    private Path modelWithConfig(String name, String config) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), config);
        return dir;
    }

    @Test
    void should_pick_the_family_convention_from_config_json() throws IOException {
        Path llava = modelWithConfig("llava", "{\"model_type\": \"llava\"}");
        Path world = modelWithConfig("world", "{\"model_type\": \"vlalign-composition\", \"world_seed\": 1}");
        Path composition = modelWithConfig("composition", "{\"model_type\": \"vlalign-composition\"}");
        Path blip = modelWithConfig("blip", "{\"model_type\": \"instructblip\"}");

        assertEquals(RecConvention.LLAVA, RecConvention.of(llava));
        assertEquals(RecConvention.WORLD, RecConvention.of(world));
        assertEquals(RecConvention.OTHER, RecConvention.of(composition));
        assertEquals(RecConvention.OTHER, RecConvention.of(blip));
        assertEquals(RecConvention.WORLD, RecConvention.of(org.vlalign.defaultmodel.DefaultModel.folder()),
                "the embedded default model is a shapes-world model");

        assertEquals("Please provide the bounding box coordinate of the region this sentence describes: the dog",
                RecConvention.LLAVA.prompt("the dog"));
        assertEquals("give the bounding box of the red circle.", RecConvention.WORLD.prompt("The red circle."));
        // LLaVA answers on the padded square: a 200x100 image has 50 padding rows above it.
        BoundingBox onSquare = new BoundingBox(0, 0.25, 0.5, 0.75);
        assertEquals(new BoundingBox(0, 0, 0.5, 1), RecConvention.LLAVA.toImage(onSquare, 200, 100));
        assertEquals(onSquare, RecConvention.OTHER.toImage(onSquare, 200, 100));
        assertEquals(onSquare, RecConvention.WORLD.toImage(onSquare, 200, 100));
    }

    @Test
    void should_pad_the_image_to_a_square_for_llava_and_map_its_box_back() throws IOException {
        Path file = tmp.resolve("set/img/square.png"); // 80x40, red at x 10..29, y 5..24
        BufferedImage padded = RecConvention.LLAVA.image(file).image().orElseThrow();
        assertEquals(80, padded.getWidth());
        assertEquals(80, padded.getHeight());
        assertEquals(RecConvention.LLAVA_PAD.getRGB(), padded.getRGB(40, 5), "20 padding rows above");
        assertEquals(RecConvention.LLAVA_PAD.getRGB(), padded.getRGB(40, 75), "20 padding rows below");
        assertEquals(Color.RED.getRGB(), padded.getRGB(10, 25));
        assertEquals(Color.GRAY.getRGB(), padded.getRGB(40, 20));
        // The red square on the padded image is [10, 25, 30, 45] / 80; mapped back it is the truth on the image.
        BoundingBox onSquare = new BoundingBox(10 / 80.0, 25 / 80.0, 30 / 80.0, 45 / 80.0);
        BoundingBox back = RecConvention.LLAVA.toImage(onSquare, 80, 40);
        assertEquals(1.0, back.iou(new BoundingBox(0.125, 0.125, 0.375, 0.625)), 1e-9, back.toString());
        assertEquals(file, RecConvention.OTHER.image(file).path().orElseThrow(), "other families see the file");
    }
}
