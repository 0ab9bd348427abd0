package org.vlalign.core.compose;

import org.vlalign.VlModel;
import org.vlalign.core.contract.AbstractVlModelContractTest;

class LlavaVlModelContractTest extends AbstractVlModelContractTest {
    @Override
    protected VlModel newModel() {
        return Compositions.llava();
    }
}
