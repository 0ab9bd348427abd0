package org.vlalign.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.UnsupportedModelException;

class ImageIndexesTest {
    @TempDir Path tmp;

    @Test
    void should_open_the_exact_index_by_name_on_disk_and_in_memory() {
        Features image = IndexTestData.unitRows(3, 16, new SplittableRandom(8));
        Features query = IndexTestData.unitRows(1, 16, new SplittableRandom(9));
        double expected = IndexTestData.score(image, query.row(0));
        try (ImageIndex disk = ImageIndexes.open(tmp.resolve("exact"), IndexTestData.SPACE, "EXACT");
                ImageIndex memory = ImageIndexes.inMemory(IndexTestData.SPACE, ImageIndexes.EXACT)) {
            assertInstanceOf(ExactImageIndex.class, disk);
            assertInstanceOf(ExactImageIndex.class, memory);
            for (ImageIndex index : new ImageIndex[] {disk, memory}) {
                index.upsert("a", image, Map.of());
                assertEquals(expected, index.search(query, 1).get(0).score(), 1e-5);
            }
        }
    }

    @Test
    void should_list_the_available_names_when_the_kind_is_unknown() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> ImageIndexes.inMemory(IndexTestData.SPACE, "annoy"));
        assertTrue(e.getMessage().contains("'annoy'") && e.getMessage().contains("exact"), e.getMessage());
    }
}
