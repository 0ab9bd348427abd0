package org.vlalign.core.compose;

import org.vlalign.LanguageModel;
import org.vlalign.core.contract.AbstractLanguageModelContractTest;

class FakeLanguageModelContractTest extends AbstractLanguageModelContractTest {
    @Override
    protected LanguageModel newLanguageModel() {
        return new FakeLanguageModel(16, 256, 11);
    }
}
