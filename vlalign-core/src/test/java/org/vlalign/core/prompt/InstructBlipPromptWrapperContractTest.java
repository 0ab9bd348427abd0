package org.vlalign.core.prompt;

import org.vlalign.PromptWrapper;
import org.vlalign.core.contract.AbstractPromptWrapperContractTest;

class InstructBlipPromptWrapperContractTest extends AbstractPromptWrapperContractTest {
    @Override
    protected PromptWrapper newWrapper() {
        return InstructBlipPromptWrapper.create();
    }
}
