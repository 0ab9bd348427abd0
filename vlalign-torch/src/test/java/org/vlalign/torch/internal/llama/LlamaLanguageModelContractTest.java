package org.vlalign.torch.internal.llama;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.LanguageModel;
import org.vlalign.core.contract.AbstractLanguageModelContractTest;
import org.vlalign.testing.TinyLlama;
import org.vlalign.testing.WordLevelTokenizer;

/** The {@link LanguageModel} contract on a tiny random Llama with a word-level tokenizer. */
class LlamaLanguageModelContractTest extends AbstractLanguageModelContractTest {

    @Override
    protected LanguageModel newLanguageModel() {
        try {
            Path dir = Files.createTempDirectory("llama-contract");
            TinyLlama.builder().kvHeads(2).maxPos(64).write(dir);
            WordLevelTokenizer.writeLlamaStyle(dir, "Hello,", "my", "name", "is", "USER:", "What", "shown?",
                    "ASSISTANT:", "The", "capital", "of", "France", "a", "city", "called", "hello", "world");
            LanguageModel lm = LlamaLanguageModel.load(dir);
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            return lm;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
