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
import org.vlalign.testing.WordLevelTokenizer;

class HfTokenizerTest {

    @TempDir
    Path tmp;

    @Test
    void should_encode_without_special_tokens_and_decode_skipping_them() throws IOException {
        WordLevelTokenizer.writeLlamaStyle(tmp, "hello", "world", "cat");
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
