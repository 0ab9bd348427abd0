package org.vlalign.lucene;

import org.vlalign.core.index.ImageIndexes;
import org.vlalign.core.index.IndexTestData;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.core.contract.AbstractImageIndexContractTest;

/** Runs the image index contract against an on-disk {@link LuceneHnswImageIndex}. */
class LuceneHnswImageIndexContractTest extends AbstractImageIndexContractTest {
    @Override
    protected ImageIndex newIndex(EmbeddingSpace space) {
        return LuceneHnswImageIndex.open(newFolder("hnsw"), space);
    }

    @Override
    protected boolean isExact() {
        return false;
    }
}
