package org.vlalign.core.compose;

import org.vlalign.Adaptor;
import org.vlalign.core.contract.AbstractAdaptorContractTest;

class FakeMlpAdaptorContractTest extends AbstractAdaptorContractTest {
    @Override
    protected Adaptor newAdaptor() {
        return FakeAdaptor.mlp(20, 16, 6);
    }
}
