package org.vlalign.core.index;

import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.core.contract.AbstractImageIndexContractTest;

/** Runs the image index contract against a persistent {@link ExactImageIndex}. */
class ExactImageIndexContractTest extends AbstractImageIndexContractTest {
    @Override
    protected ImageIndex newIndex(EmbeddingSpace space) {
        return ExactImageIndex.open(newFolder("exact"), space);
    }
}
