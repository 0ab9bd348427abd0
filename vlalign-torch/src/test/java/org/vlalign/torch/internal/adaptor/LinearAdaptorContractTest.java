package org.vlalign.torch.internal.adaptor;

import java.util.Random;
import org.vlalign.Adaptor;
import org.vlalign.core.contract.AbstractAdaptorContractTest;

/** The Adaptor contract for {@link LinearAdaptor}. */
class LinearAdaptorContractTest extends AbstractAdaptorContractTest {
    @Override
    protected Adaptor newAdaptor() {
        Random r = new Random(41);
        return LinearAdaptor.of(
                LinearAdaptorTest.random(r, 20 * 12, 0.3), LinearAdaptorTest.random(r, 20, 0.1), 12, 20);
    }
}
