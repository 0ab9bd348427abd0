package org.vlalign.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.VlalignException;

class TrainingDataTest {

    @TempDir
    Path dir;

    @Test
    void should_read_jsonl_examples_with_optional_fields() throws Exception {
        Path file = dir.resolve("train.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"image\": \"a/1.jpg\", \"query\": \"What color?\", \"answer\": \"Red.\", \"type\": \"vqa\"}",
                "",
                "{\"image\": \"/abs/2.jpg\", \"answer\": \"A dog\"}",
                "{\"image\": \"3.jpg\", \"query\": \"How many?\", \"answers\": [\"Two\", \"2\", \"two\"]}"));
        List<TrainingExample> ex = TrainingData.readJsonl(file, dir.resolve("images"),
                TextNormalization.LOWERCASE_NO_PUNCTUATION);
        assertEquals(3, ex.size());
        assertEquals(dir.resolve("images/a/1.jpg"), ex.get(0).image());
        assertEquals("what color", ex.get(0).query());
        assertEquals("red", ex.get(0).answer());
        assertEquals("vqa", ex.get(0).type());
        assertEquals(List.of("red"), ex.get(0).references());
        assertEquals(Path.of("/abs/2.jpg"), ex.get(1).image());
        assertEquals("", ex.get(1).query());
        assertEquals("", ex.get(1).type());
        assertEquals("two", ex.get(2).answer());
        assertEquals(List.of("two", "2", "two"), ex.get(2).references());
    }

    @Test
    void should_name_the_line_when_jsonl_is_malformed() throws Exception {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"image\": \"1.jpg\", \"answer\": \"x\"}\n{\"query\": \"no image\"}\n");
        VlalignException e = assertThrows(VlalignException.class,
                () -> TrainingData.readJsonl(file, dir, TextNormalization.NONE));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("image"), e.getMessage());
        Files.writeString(file, "not json\n");
        e = assertThrows(VlalignException.class, () -> TrainingData.readJsonl(file, dir, TextNormalization.NONE));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }

    @Test
    void should_read_one_alignment_example_per_coco_caption() throws Exception {
        Path file = dir.resolve("captions.json");
        Files.writeString(file, "{\"images\": [{\"id\": 7, \"file_name\": \"000007.jpg\"},"
                + " {\"id\": 9, \"file_name\": \"000009.jpg\"}],"
                + " \"annotations\": [{\"image_id\": 9, \"id\": 1, \"caption\": \"A man riding a horse.\"},"
                + " {\"image_id\": 7, \"id\": 2, \"caption\": \"Two cats  sleeping\"},"
                + " {\"image_id\": 9, \"id\": 3, \"caption\": \"A horse\"}]}");
        List<TrainingExample> ex = TrainingData.readCocoCaptions(file, dir.resolve("train2017"), TextNormalization.NONE);
        assertEquals(3, ex.size());
        assertEquals(dir.resolve("train2017/000009.jpg"), ex.get(0).image());
        assertEquals("A man riding a horse.", ex.get(0).answer());
        assertEquals("", ex.get(0).query());
        assertEquals("caption", ex.get(0).type());
        assertEquals("Two cats sleeping", ex.get(1).answer());
        assertEquals(dir.resolve("train2017/000007.jpg"), ex.get(1).image());
    }

    @Test
    void should_turn_every_karpathy_caption_into_an_example() {
        org.vlalign.core.metrics.CaptionDataset ds = org.vlalign.core.metrics.CaptionDataset.of(List.of(
                new org.vlalign.core.metrics.CaptionDataset.Image("1.jpg", dir.resolve("1.jpg"), "train",
                        List.of("A cat.", "A kitten!")),
                new org.vlalign.core.metrics.CaptionDataset.Image("2.jpg", dir.resolve("2.jpg"), "train",
                        List.of("Dog"))));
        List<TrainingExample> ex = TrainingData.fromCaptionDataset(ds, TextNormalization.LOWERCASE_NO_PUNCTUATION);
        assertEquals(List.of("a cat", "a kitten", "dog"), ex.stream().map(TrainingExample::answer).toList());
        assertEquals(dir.resolve("2.jpg"), ex.get(2).image());
    }

    @Test
    void should_reject_coco_captions_of_unknown_images() throws Exception {
        Path file = dir.resolve("captions.json");
        Files.writeString(file, "{\"images\": [], \"annotations\": [{\"image_id\": 4, \"caption\": \"x\"}]}");
        VlalignException e = assertThrows(VlalignException.class,
                () -> TrainingData.readCocoCaptions(file, dir, TextNormalization.NONE));
        assertTrue(e.getMessage().contains("image_id 4"), e.getMessage());
    }
}
