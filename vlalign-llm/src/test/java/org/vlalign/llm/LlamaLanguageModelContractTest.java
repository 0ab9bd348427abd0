package org.vlalign.llm;

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
        Path dir = folder();
        TinyLlama.builder().kvHeads(2).maxPos(64).write(dir);
        WordLevelTokenizer.writeLlamaStyle(dir, PROMPT_WORDS.toArray(String[]::new));
        return Llama.load(dir, new LlmOptions(WeightFormat.Q8, 2));
    }
}
