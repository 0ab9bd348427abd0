package org.vlalign.core.index;

import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.core.contract.AbstractImageIndexContractTest;

/** Runs the image index contract against an in-memory {@link ExactImageIndex}. */
class ExactImageIndexInMemoryContractTest extends AbstractImageIndexContractTest {
    @Override
    protected ImageIndex newIndex(EmbeddingSpace space) {
        return ExactImageIndex.inMemory(space);
    }
}
