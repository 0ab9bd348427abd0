package org.vlalign.torch;

import org.junit.jupiter.api.Nested;
import org.vlalign.VlModel;
import org.vlalign.core.contract.AbstractVlModelContractTest;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;
import org.vlalign.testing.TinyClip;

/**
 * The VlModel contract for checkpoints without a language model, loaded through {@link TorchModels#load}
 * into the same composition as every other family: they search and refuse to answer.
 */
class SearchOnlyVlModelContractTest {

    @Nested
    class Blip2Retrieval extends AbstractVlModelContractTest {
        @Override
        protected VlModel newModel() {
            return TorchModels.load(
                    TinyBlip.write(folder(), Kind.BLIP2_RETRIEVAL, 35, 2));
        }
    }

    @Nested
    class Clip extends AbstractVlModelContractTest {
        @Override
        protected VlModel newModel() {
            return TorchModels.load(TinyClip.write(folder(), 36, 16, 2));
        }
    }
}
