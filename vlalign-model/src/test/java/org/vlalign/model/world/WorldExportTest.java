package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.InvalidArgumentException;

class WorldExportTest {
    private static final int N = 25;

    @Test
    void should_write_parseable_karpathy_json_jsonl_and_decodable_images(@TempDir Path dir) throws Exception {
        World world = World.builder().seed(8).imageSize(48).build();
        WorldExport.Summary summary = WorldExport.write(dir, world, N, Split.VAL);
        assertEquals(N, summary.images());

        JsonObject karpathy;
        try (var reader = Files.newBufferedReader(dir.resolve(WorldExport.KARPATHY_JSON))) {
            karpathy = JsonParser.parseReader(reader).getAsJsonObject();
        }
        JsonArray images = karpathy.getAsJsonArray("images");
        assertEquals(N, images.size());
        int sentences = 0;
        Set<Integer> sentIds = new HashSet<>();
        for (int k = 0; k < N; k++) {
            JsonObject image = images.get(k).getAsJsonObject();
            Scene scene = world.sample(Split.VAL, k);
            assertEquals("val", image.get("split").getAsString());
            assertEquals(scene.name() + ".png", image.get("filename").getAsString());
            Path file = dir.resolve(image.get("filepath").getAsString()).resolve(image.get("filename").getAsString());
            BufferedImage decoded = ImageIO.read(file.toFile());
            assertNotNull(decoded, "decodable " + file);
            assertEquals(48, decoded.getWidth());
            assertEquals(48, decoded.getHeight());
            assertTrue(Arrays.equals(world.renderPng(scene), Files.readAllBytes(file)), "same bytes " + file);
            assertEquals(world.render(scene).getRGB(20, 20), decoded.getRGB(20, 20));
            JsonArray sents = image.getAsJsonArray("sentences");
            assertEquals(world.captions(scene).size(), sents.size());
            for (int s = 0; s < sents.size(); s++) {
                JsonObject sentence = sents.get(s).getAsJsonObject();
                String raw = sentence.get("raw").getAsString();
                assertEquals(world.captions(scene).get(s), raw);
                StringBuilder joined = new StringBuilder();
                for (JsonElement token : sentence.getAsJsonArray("tokens")) {
                    String t = token.getAsString();
                    assertFalse(t.isEmpty() || t.equals(",") || t.equals("."), raw);
                    joined.append(joined.length() == 0 ? "" : " ").append(t);
                }
                assertEquals(raw.replace(",", ""), joined.toString());
                assertTrue(sentIds.add(sentence.get("sentid").getAsInt()), "unique sentid");
                assertEquals(k, sentence.get("imgid").getAsInt());
            }
            sentences += sents.size();
        }
        assertEquals(summary.captions(), sentences);

        List<String> captionLines = Files.readAllLines(dir.resolve(WorldExport.CAPTIONS_JSONL), StandardCharsets.UTF_8);
        assertEquals(sentences, captionLines.size());
        for (String line : captionLines) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            assertEquals("", o.get("query").getAsString());
            assertTrue(Files.exists(dir.resolve(o.get("image").getAsString())), line);
            assertFalse(o.get("answer").getAsString().isBlank());
        }

        List<String> instructionLines =
                Files.readAllLines(dir.resolve(WorldExport.INSTRUCTIONS_JSONL), StandardCharsets.UTF_8);
        assertEquals(summary.instructions(), instructionLines.size());
        List<String> expectedLines = new ArrayList<>(); // per scene its questions, then its box questions
        for (int k = 0; k < N; k++) {
            Scene scene = world.sample(Split.VAL, k);
            List<QaPair> pairs = new ArrayList<>(world.questions(scene));
            pairs.addAll(world.boxQuestions(scene));
            for (QaPair qa : pairs) {
                expectedLines.add(scene.name() + "|" + qa.question() + "|" + qa.answer() + "|" + qa.type().label());
            }
        }
        List<String> actualLines = new ArrayList<>();
        for (String line : instructionLines) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            actualLines.add(o.get("image").getAsString().replaceAll("^images/|\\.png$", "") + "|"
                    + o.get("query").getAsString() + "|" + o.get("answer").getAsString() + "|"
                    + o.get("type").getAsString());
        }
        assertEquals(expectedLines, actualLines);
        assertTrue(actualLines.stream().anyMatch(l -> l.endsWith("|box")), "box questions are exported");
        Set<String> types = new HashSet<>();
        JsonObject first = JsonParser.parseString(instructionLines.get(0)).getAsJsonObject();
        QaPair firstQa = world.questions(world.sample(Split.VAL, 0)).get(0);
        assertEquals(firstQa.question(), first.get("query").getAsString());
        assertEquals(firstQa.answer(), first.get("answer").getAsString());
        assertEquals("images/val_000000.png", first.get("image").getAsString());
        for (String line : instructionLines) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            assertEquals(Set.of("image", "query", "answer", "type"), o.keySet(), line);
            types.add(o.get("type").getAsString());
            assertTrue(Files.exists(dir.resolve(o.get("image").getAsString())), line);
        }
        assertTrue(types.contains("existence") && types.contains("description"), types.toString());

        JsonObject settings = JsonParser.parseString(Files.readString(dir.resolve(WorldExport.WORLD_JSON)))
                .getAsJsonObject();
        assertEquals(8, settings.get("seed").getAsLong());
        assertEquals(N, settings.get("count").getAsInt());
        try (var files = Files.list(dir.resolve(WorldExport.IMAGES))) {
            assertEquals(N, files.count());
        }
    }

    @Test
    void should_write_identical_files_when_exported_twice(@TempDir Path dir) throws Exception {
        World world = World.builder().seed(21).build();
        WorldExport.write(dir.resolve("a"), world, Split.TEST, 5, 12);
        WorldExport.write(dir.resolve("b"), world, Split.TEST, 5, 12);
        for (String name : List.of(WorldExport.KARPATHY_JSON, WorldExport.CAPTIONS_JSONL,
                WorldExport.INSTRUCTIONS_JSONL, WorldExport.WORLD_JSON, "images/test_000005.png",
                "images/test_000016.png")) {
            assertTrue(Arrays.equals(Files.readAllBytes(dir.resolve("a").resolve(name)),
                    Files.readAllBytes(dir.resolve("b").resolve(name))), name);
        }
        assertFalse(Files.exists(dir.resolve("a/images/test_000004.png")));
        assertFalse(Files.exists(dir.resolve("a/images/test_000017.png")));
    }

    @Test
    void should_reject_an_empty_export(@TempDir Path dir) {
        World world = World.builder().build();
        assertThrows(InvalidArgumentException.class, () -> WorldExport.write(dir, world, 0, Split.TRAIN));
    }
}
