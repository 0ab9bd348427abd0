package org.vlalign.llm.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.WeightFormat;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlmOptions;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.TinyLlama;

/** Cached weights give the logits of freshly converted ones; stale or damaged cache files are never used. */
class WeightCacheTest {
    @TempDir
    Path tmp;

    private static float[][] logits(Path dir, LlmOptions o) {
        try (Llama lm = Llama.load(dir, o)) {
            return lm.logitsAtEveryPosition(DecoderInput.ofTokens(1, 4, 9, 16, 25));
        }
    }

    private List<Path> cacheFiles(Path dir) throws IOException {
        Path c = dir.resolve(".vlalign-cache");
        if (!Files.isDirectory(c)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(c)) {
            return s.filter(p -> p.toString().endsWith(".vlw")).toList();
        }
    }

    @Test
    void should_reuse_cached_weights_and_ignore_damaged_or_stale_files() throws IOException {
        Path dir = TinyLlama.builder().kvHeads(2).write(tmp.resolve("m"));
        LlmOptions q8 = new LlmOptions(WeightFormat.Q8, 1).withCache(true);
        float[][] fresh = logits(dir, new LlmOptions(WeightFormat.Q8, 1));
        assertTrue(cacheFiles(dir).isEmpty(), "no cache unless asked");
        float[][] first = logits(dir, q8); // converts and writes the cache
        List<Path> files = cacheFiles(dir);
        assertEquals(1, files.size());
        long modified = Files.getLastModifiedTime(files.get(0)).toMillis();
        float[][] cached = logits(dir, q8); // reads it
        assertEquals(modified, Files.getLastModifiedTime(files.get(0)).toMillis(), "read, not rewritten");
        for (int i = 0; i < fresh.length; i++) {
            assertArrayEquals(fresh[i], first[i]);
            assertArrayEquals(fresh[i], cached[i]);
        }
        // flip one byte of the weights: the checksum refuses the file and the weights are converted again
        try (RandomAccessFile f = new RandomAccessFile(files.get(0).toFile(), "rw")) {
            long at = f.length() / 2;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
        float[][] repaired = logits(dir, q8);
        for (int i = 0; i < fresh.length; i++) {
            assertArrayEquals(fresh[i], repaired[i], "a damaged cache is not used");
        }
        // another format gets its own file
        logits(dir, new LlmOptions(WeightFormat.Q4, 1).withCache(true));
        assertEquals(2, cacheFiles(dir).size());
        // new weights under the same config (a fine-tune): the key changes, the old file is not used
        TinyLlama.builder().kvHeads(2).seed(7).write(dir);
        float[][] other = logits(dir, q8);
        float[][] otherFresh = logits(dir, new LlmOptions(WeightFormat.Q8, 1));
        assertArrayEquals(otherFresh[0], other[0]);
        assertNotEquals(fresh[0][0], other[0][0]);
    }
}
