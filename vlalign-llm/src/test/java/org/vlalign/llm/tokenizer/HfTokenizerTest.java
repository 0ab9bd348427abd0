package org.vlalign.llm.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class HfTokenizerTest {

    @TempDir
    Path tmp;

    /** A word-level tokenizer.json with three special tokens and a few words. */
    public static void writeTinyTokenizer(Path dir, String... words) throws IOException {
        StringBuilder vocab = new StringBuilder("\"<unk>\": 0, \"<s>\": 1, \"</s>\": 2, \"<image>\": 3");
        for (int i = 0; i < words.length; i++) {
            vocab.append(", \"").append(words[i]).append("\": ").append(4 + i);
        }
        String added = "[" + special(0, "<unk>") + "," + special(1, "<s>") + "," + special(2, "</s>") + ","
                + special(3, "<image>") + "]";
        String json = "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": " + added
                + ", \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Whitespace\"}, \"post_processor\": null,"
                + " \"decoder\": null, \"model\": {\"type\": \"WordLevel\", \"vocab\": {" + vocab
                + "}, \"unk_token\": \"<unk>\"}}";
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tokenizer.json"), json);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": true, \"bos_token\": {\"content\":"
                + " \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\", \"pad_token\": null}");
    }

    private static String special(int id, String content) {
        return "{\"id\": " + id + ", \"content\": \"" + content + "\", \"single_word\": false, \"lstrip\": false,"
                + " \"rstrip\": false, \"normalized\": false, \"special\": true}";
    }

    @Test
    void should_encode_without_special_tokens_and_decode_skipping_them() throws IOException {
        writeTinyTokenizer(tmp, "hello", "world", "cat");
        try (HfTokenizer tok = HfTokenizer.fromDirectory(tmp).orElseThrow()) {
            assertArrayEquals(new int[] {4, 5}, tok.encode("hello world"));
            assertArrayEquals(new int[] {6, 0}, tok.encode("cat dog"));
            assertEquals("hello cat", tok.decode(new int[] {1, 4, 6, 2}));
            assertEquals(1, tok.bosTokenId().getAsInt());
            assertEquals(List.of(2), tok.eosTokenIds());
            assertFalse(tok.padTokenId().isPresent());
            assertTrue(tok.addBosToken());
            assertEquals(3, tok.specialTokenId("<image>").getAsInt());
        }
    }

    @Test
    void should_be_absent_when_folder_has_no_tokenizer() {
        assertTrue(HfTokenizer.fromDirectory(tmp).isEmpty());
    }
}
