package org.vlalign.core.compose;

import org.vlalign.Adaptor;
import org.vlalign.core.contract.AbstractAdaptorContractTest;

class FakeLinearAdaptorContractTest extends AbstractAdaptorContractTest {
    @Override
    protected Adaptor newAdaptor() {
        return FakeAdaptor.linear(24, 16, 5);
    }
}
