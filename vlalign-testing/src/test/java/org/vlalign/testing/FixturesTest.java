package org.vlalign.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.checkpoint.SafetensorsReader;

/** The fixtures are pure functions of their seed and write what the Hugging Face layout expects. */
class FixturesTest {
    @TempDir
    Path tmp;

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    @Test
    void should_write_the_same_bytes_for_the_same_seed_and_others_for_another() throws IOException {
        Path a = TinyLlava.write(tmp.resolve("a"), 3);
        Path b = TinyLlava.write(tmp.resolve("b"), 3);
        Path c = TinyLlava.write(tmp.resolve("c"), 4);
        byte[] weights = Files.readAllBytes(a.resolve("model.safetensors"));
        assertArrayEquals(weights, Files.readAllBytes(b.resolve("model.safetensors")));
        assertTrue(!java.util.Arrays.equals(weights, Files.readAllBytes(c.resolve("model.safetensors"))));
    }

    @Test
    void should_shard_with_an_index_that_names_every_tensor_once() throws IOException {
        TinyLlama llama = TinyLlama.builder().shards(3);
        Path dir = llama.write(tmp.resolve("sharded"));
        JsonObject map = json(dir.resolve("model.safetensors.index.json")).getAsJsonObject("weight_map");
        assertEquals(llama.weights().shapes().keySet(), map.keySet());
        long stored = 0;
        for (String shard : map.entrySet().stream().map(e -> e.getValue().getAsString()).distinct().toList()) {
            try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(shard))) {
                stored += r.tensors().size();
            }
        }
        assertEquals(map.size(), stored);
    }

    @Test
    void should_size_the_vocabulary_to_the_tokenizer_and_mark_the_image_token() throws IOException {
        TinyLlava llava = TinyLlava.builder();
        Path dir = llava.write(tmp.resolve("llava"));
        JsonObject config = json(dir.resolve("config.json"));
        JsonObject vocab = json(dir.resolve("tokenizer.json")).getAsJsonObject("model").getAsJsonObject("vocab");
        assertEquals(vocab.size(), config.getAsJsonObject("text_config").get("vocab_size").getAsInt());
        assertEquals(llava.imageToken(), vocab.get("<image>").getAsInt());
        assertEquals(llava.imageToken(), config.get("image_token_index").getAsInt());
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
            assertArrayEquals(new long[] {vocab.size(), TinyLlava.TEXT_HIDDEN},
                    r.info("language_model.model.embed_tokens.weight").shape());
        }
    }

    @Test
    void should_wrap_clip_texts_and_keep_whole_words_when_asked() throws IOException {
        Path clip = TinyClip.write(tmp.resolve("clip"), 1, 16, 2);
        JsonObject post = json(clip.resolve("tokenizer.json")).getAsJsonObject("post_processor");
        assertEquals("TemplateProcessing", post.get("type").getAsString());
        assertEquals(List.of(TinyClip.EOS_ID), List.of(post.getAsJsonObject("special_tokens")
                .getAsJsonObject("<|endoftext|>").getAsJsonArray("ids").get(0).getAsInt()));
        Path train = TrainingFixtures.writeLlama(tmp.resolve("train"), 1);
        JsonObject tok = json(train.resolve("tokenizer.json"));
        assertEquals("WhitespaceSplit", tok.getAsJsonObject("pre_tokenizer").get("type").getAsString());
        assertTrue(tok.get("normalizer").isJsonNull());
    }

    @Test
    void should_refuse_values_that_do_not_fill_the_shape_and_unknown_words() {
        assertThrows(InvalidArgumentException.class, () -> RandomWeights.seeded(1).put("w", new float[5], 2, 3));
        assertThrows(InvalidArgumentException.class, () -> TrainingFixtures.id("zebra"));
    }
}
