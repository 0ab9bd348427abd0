package org.vlalign.core.index;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.core.contract.AbstractImageIndexContractTest;

/** Runs the image index contract against a persistent {@link ExactImageIndex}. */
class ExactImageIndexContractTest extends AbstractImageIndexContractTest {
    @TempDir Path tmp;
    private final AtomicInteger n = new AtomicInteger();

    @Override
    protected ImageIndex newIndex(EmbeddingSpace space) {
        return ExactImageIndex.open(tmp.resolve("exact-" + n.incrementAndGet()), space);
    }
}
