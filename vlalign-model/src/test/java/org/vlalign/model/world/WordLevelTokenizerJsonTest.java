package org.vlalign.model.world;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.InvalidArgumentException;

class WordLevelTokenizerJsonTest {

    private static Set<String> worldSentences(World world, int scenes) {
        Set<String> sentences = new LinkedHashSet<>();
        for (Split split : List.of(Split.TRAIN, Split.TEST)) {
            for (long i = 0; i < scenes / 2; i++) {
                Scene scene = world.sample(split, i);
                sentences.addAll(world.captions(scene));
                for (QaPair qa : world.questions(scene)) {
                    sentences.add(qa.question());
                    sentences.add(qa.answer());
                }
            }
        }
        return sentences;
    }

    @Test
    void should_tokenize_box_questions_and_answers_with_the_box_vocabulary(@TempDir Path dir) throws Exception {
        Set<String> vocabulary = new java.util.TreeSet<>(World.vocabulary());
        vocabulary.addAll(World.boxVocabulary());
        Path file = dir.resolve("tokenizer.json");
        WordLevelTokenizerJson.write(file, vocabulary);
        Map<String, Integer> ids = WordLevelTokenizerJson.ids(vocabulary);
        World world = World.builder().seed(5).maxShapes(5).build();
        Set<String> sentences = new LinkedHashSet<>(List.of("[0.00, 0.09, 0.90, 1.00]"));
        for (long i = 0; i < 100; i++) {
            for (QaPair qa : world.boxQuestions(world.sample(Split.TRAIN, i))) {
                sentences.add(qa.question());
                sentences.add(qa.answer());
            }
        }
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of())) {
            for (String sentence : sentences) {
                long[] tokenIds = tokenizer.encode(sentence).getIds();
                List<String> expected = World.tokenize(sentence);
                assertEquals(expected.size() + 1, tokenIds.length, sentence);
                for (int t = 1; t < tokenIds.length; t++) {
                    assertEquals((long) ids.get(expected.get(t - 1)), tokenIds[t], sentence);
                }
            }
        }
        assertTrue(World.boxVocabulary().stream().noneMatch(World.vocabulary()::contains));
    }

    @Test
    void should_round_trip_every_world_sentence_without_unknown_tokens(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tok").resolve("tokenizer.json");
        WordLevelTokenizerJson.write(file, World.vocabulary());
        assertTrue(Files.exists(dir.resolve("tok/tokenizer_config.json")));
        assertTrue(Files.exists(dir.resolve("tok/special_tokens_map.json")));
        Map<String, Integer> ids = WordLevelTokenizerJson.ids(World.vocabulary());
        World world = World.builder().seed(99).maxShapes(5).build();
        Set<String> sentences = worldSentences(world, 500);
        assertTrue(sentences.size() > 1000, "sentences " + sentences.size());
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of())) {
            for (String sentence : sentences) {
                Encoding encoding = tokenizer.encode(sentence);
                long[] tokenIds = encoding.getIds();
                assertEquals(1, tokenIds[0], "<s> first: " + sentence);
                List<String> expected = World.tokenize(sentence);
                assertEquals(expected.size() + 1, tokenIds.length, sentence);
                for (int t = 1; t < tokenIds.length; t++) {
                    assertTrue(tokenIds[t] != 0, "<unk> in '" + sentence + "' at " + encoding.getTokens()[t]);
                    assertEquals((long) ids.get(expected.get(t - 1)), tokenIds[t], sentence);
                }
                assertEquals(sentence, tokenizer.decode(tokenIds, true));
            }
            // words outside the world map to <unk>, and case is folded
            long[] unknown = tokenizer.encode("Is there a Zebra?").getIds();
            assertArrayEquals(new long[] {1, ids.get("is"), ids.get("there"), ids.get("a"), 0, ids.get("?")}, unknown);
        }
    }

    @Test
    void should_write_the_hugging_face_schema_with_fixed_special_ids(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        WordLevelTokenizerJson.write(file, List.of("red", "circle", "?"));
        JsonObject root = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        JsonObject model = root.getAsJsonObject("model");
        assertEquals("WordLevel", model.get("type").getAsString());
        assertEquals("<unk>", model.get("unk_token").getAsString());
        JsonObject vocab = model.getAsJsonObject("vocab");
        assertEquals(0, vocab.get("<unk>").getAsInt());
        assertEquals(1, vocab.get("<s>").getAsInt());
        assertEquals(2, vocab.get("</s>").getAsInt());
        assertEquals(3, vocab.get("<pad>").getAsInt());
        assertEquals(7, vocab.size());
        List<Integer> values = new ArrayList<>();
        vocab.entrySet().forEach(e -> values.add(e.getValue().getAsInt()));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), values);
        assertEquals(4, root.getAsJsonArray("added_tokens").size());
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("tokenizer_config.json")))
                .getAsJsonObject();
        assertEquals("<pad>", config.get("pad_token").getAsString());
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(file, Map.of())) {
            assertArrayEquals(new long[] {1, 6, 5, 4}, tokenizer.encode("red circle?").getIds());
            assertEquals("red circle?", tokenizer.decode(new long[] {1, 6, 5, 4, 2, 3}, true));
        }
    }

    @Test
    void should_reject_vocabulary_entries_that_cannot_be_words(@TempDir Path dir) {
        assertThrows(InvalidArgumentException.class,
                () -> WordLevelTokenizerJson.write(dir.resolve("t.json"), List.of("two words")));
        assertThrows(InvalidArgumentException.class,
                () -> WordLevelTokenizerJson.write(dir.resolve("t.json"), List.of("Red")));
        assertThrows(InvalidArgumentException.class,
                () -> WordLevelTokenizerJson.write(dir.resolve("t.json"), List.of("")));
    }
}
