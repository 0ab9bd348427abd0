package org.vlalign.core.prompt;

import org.vlalign.PromptWrapper;
import org.vlalign.core.contract.AbstractPromptWrapperContractTest;

class VicunaPromptWrapperContractTest extends AbstractPromptWrapperContractTest {
    @Override
    protected PromptWrapper newWrapper() {
        return VicunaPromptWrapper.create();
    }
}
