package org.vlalign.lucene;

import org.vlalign.core.index.ImageIndexes;
import org.vlalign.core.index.IndexTestData;
import org.vlalign.core.index.ExactImageIndex;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.core.contract.AbstractImageIndexContractTest;

/** Runs the image index contract against an on-disk {@link LuceneHnswImageIndex}. */
class LuceneHnswImageIndexContractTest extends AbstractImageIndexContractTest {
    @TempDir Path tmp;
    private final AtomicInteger n = new AtomicInteger();

    @Override
    protected ImageIndex newIndex(EmbeddingSpace space) {
        return LuceneHnswImageIndex.open(tmp.resolve("hnsw-" + n.incrementAndGet()), space);
    }

    @Override
    protected boolean isExact() {
        return false;
    }
}
