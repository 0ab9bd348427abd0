package org.vlalign.core.compose;

import org.junit.jupiter.api.Nested;
import org.vlalign.VlModel;
import org.vlalign.core.contract.AbstractVlModelContractTest;

/** The VlModel contract for the compositions without a language side, one nested suite each. */
class SearchOnlyVlModelContractTest {

    @Nested
    class ClipAlone extends AbstractVlModelContractTest {
        @Override
        protected VlModel newModel() {
            return Compositions.clipSearchOnly();
        }
    }

    @Nested
    class Blip2RetrievalAlone extends AbstractVlModelContractTest {
        @Override
        protected VlModel newModel() {
            return Compositions.blip2RetrievalSearchOnly();
        }
    }

    @Nested
    class Blip2WithoutSearchOrLanguageModel extends AbstractVlModelContractTest {
        @Override
        protected VlModel newModel() {
            return Compositions.blip2FeaturesOnly();
        }
    }
}
