package org.vlalign.torch.internal.llama;

import java.nio.file.Path;
import org.vlalign.LanguageModel;
import org.vlalign.core.contract.AbstractLanguageModelContractTest;
import org.vlalign.testing.TinyLlama;
import org.vlalign.testing.WordLevelTokenizer;

/** The {@link LanguageModel} contract on a tiny random Llama with a word-level tokenizer. */
class LlamaLanguageModelContractTest extends AbstractLanguageModelContractTest {

    @Override
    protected LanguageModel newLanguageModel() {
        Path dir = folder();
        TinyLlama.builder().kvHeads(2).maxPos(64).write(dir);
        WordLevelTokenizer.writeLlamaStyle(dir, PROMPT_WORDS.toArray(String[]::new));
        return LlamaLanguageModel.load(dir);
    }
}
