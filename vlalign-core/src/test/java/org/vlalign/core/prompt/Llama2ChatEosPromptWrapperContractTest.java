package org.vlalign.core.prompt;

import org.vlalign.PromptWrapper;
import org.vlalign.core.contract.AbstractPromptWrapperContractTest;

class Llama2ChatEosPromptWrapperContractTest extends AbstractPromptWrapperContractTest {
    @Override
    protected PromptWrapper newWrapper() {
        return Llama2ChatPromptWrapper.create().withEosTokenId(2);
    }
}
