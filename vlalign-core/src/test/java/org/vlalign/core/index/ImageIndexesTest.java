package org.vlalign.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.ImageIndex;

class ImageIndexesTest {
    @TempDir Path tmp;

    @Test
    void should_open_the_requested_kind_and_score_alike() {
        Features image = IndexTestData.unitRows(3, 16, new SplittableRandom(8));
        Features query = IndexTestData.unitRows(1, 16, new SplittableRandom(9));
        double expected = IndexTestData.score(image, query.row(0));
        for (ImageIndexes.Kind kind : ImageIndexes.Kind.values()) {
            try (ImageIndex disk = ImageIndexes.open(tmp.resolve(kind.name()), IndexTestData.SPACE, kind);
                    ImageIndex memory = ImageIndexes.inMemory(IndexTestData.SPACE, kind)) {
                Class<?> type = kind == ImageIndexes.Kind.EXACT ? ExactImageIndex.class : LuceneHnswImageIndex.class;
                assertInstanceOf(type, disk);
                assertInstanceOf(type, memory);
                for (ImageIndex index : new ImageIndex[] {disk, memory}) {
                    index.upsert("a", image, Map.of());
                    assertEquals(expected, index.search(query, 1).get(0).score(), 1e-5, kind.name());
                }
            }
        }
    }
}
