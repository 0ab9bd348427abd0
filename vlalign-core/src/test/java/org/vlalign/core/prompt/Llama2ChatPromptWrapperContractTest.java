package org.vlalign.core.prompt;

import org.vlalign.PromptWrapper;
import org.vlalign.core.contract.AbstractPromptWrapperContractTest;

class Llama2ChatPromptWrapperContractTest extends AbstractPromptWrapperContractTest {
    @Override
    protected PromptWrapper newWrapper() {
        return Llama2ChatPromptWrapper.create();
    }
}
