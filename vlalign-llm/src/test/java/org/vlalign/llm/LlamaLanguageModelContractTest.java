package org.vlalign.llm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlalign.LanguageModel;
import org.vlalign.WeightFormat;
import org.vlalign.core.contract.AbstractLanguageModelContractTest;
import org.vlalign.testing.TinyLlama;
import org.vlalign.testing.WordLevelTokenizer;

/** The {@link LanguageModel} contract on the JVM engine: a tiny random Llama with a word-level tokenizer, Q8. */
class LlamaLanguageModelContractTest extends AbstractLanguageModelContractTest {

    @Override
    protected LanguageModel newLanguageModel() {
        try {
            Path dir = Files.createTempDirectory("jvm-llama-contract");
            TinyLlama.builder().kvHeads(2).maxPos(64).write(dir);
            WordLevelTokenizer.writeLlamaStyle(dir, "Hello,", "my", "name", "is", "USER:", "What", "shown?",
                    "ASSISTANT:", "The", "capital", "of", "France", "a", "city", "called", "hello", "world");
            return Llama.load(dir, new LlmOptions(WeightFormat.Q8, 2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
