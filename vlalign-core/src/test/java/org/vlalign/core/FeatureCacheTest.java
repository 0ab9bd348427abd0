package org.vlalign.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.ImageInput;

/** What the recent-image feature cache keeps, what it recomputes, and its bound. */
class FeatureCacheTest {
    private final AtomicInteger computed = new AtomicInteger();

    private Supplier<Features> compute(int rows) {
        return () -> {
            computed.incrementAndGet();
            return Features.of(new float[rows * 4], rows, 4);
        };
    }

    @Test
    void should_extract_a_file_once_until_it_changes(@TempDir Path dir) throws Exception {
        FeatureCache cache = new FeatureCache(1 << 20);
        Path file = dir.resolve("a.png");
        Files.write(file, new byte[] {1, 2, 3});
        Features first = cache.get(ImageInput.of(file), "", compute(2));
        assertSame(first, cache.get(ImageInput.of(file), "", compute(2)), "the same file again");
        assertEquals(1, computed.get());
        Files.write(file, new byte[] {1, 2, 3, 4});
        Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5000));
        cache.get(ImageInput.of(file), "", compute(2));
        assertEquals(2, computed.get(), "a rewritten file is extracted again");
        cache.get(ImageInput.of(dir.resolve("missing.png")), "", compute(2));
        cache.get(ImageInput.of(dir.resolve("missing.png")), "", compute(2));
        assertEquals(4, computed.get(), "an unreadable file is never cached");
        assertEquals(1, cache.hits());
    }

    @Test
    void should_key_bytes_by_content_and_instruction_and_never_keep_a_buffered_image() {
        FeatureCache cache = new FeatureCache(1 << 20);
        byte[] png = {9, 8, 7};
        cache.get(ImageInput.of(png), "", compute(2));
        cache.get(ImageInput.of(png.clone()), "", compute(2));
        assertEquals(1, computed.get(), "equal bytes are the same image");
        cache.get(ImageInput.of(png), "what colour?", compute(2));
        assertEquals(2, computed.get(), "another instruction gives other features");
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        cache.get(ImageInput.of(img), "", compute(2));
        cache.get(ImageInput.of(img), "", compute(2));
        assertEquals(4, computed.get(), "a BufferedImage may change between calls");
    }

    @Test
    void should_drop_the_least_recently_used_image_to_stay_within_its_bound() {
        FeatureCache cache = new FeatureCache(2 * 4 * 4 * 4); // two images of 4 rows x 4 floats
        ImageInput a = ImageInput.of(new byte[] {1});
        ImageInput b = ImageInput.of(new byte[] {2});
        ImageInput c = ImageInput.of(new byte[] {3});
        cache.get(a, "", compute(4));
        cache.get(b, "", compute(4));
        cache.get(a, "", compute(4)); // a is now the most recent
        cache.get(c, "", compute(4)); // drops b
        assertEquals(3, computed.get());
        cache.get(a, "", compute(4));
        assertEquals(3, computed.get(), "a was kept");
        cache.get(b, "", compute(4));
        assertEquals(4, computed.get(), "b was dropped");
        FeatureCache off = new FeatureCache(0);
        off.get(a, "", compute(4));
        off.get(a, "", compute(4));
        assertEquals(6, computed.get(), "a zero bound keeps nothing");
        cache.get(ImageInput.of(new byte[] {4}), "", compute(100));
        assertEquals(7, computed.get());
        cache.get(ImageInput.of(new byte[] {4}), "", compute(100));
        assertEquals(8, computed.get(), "features larger than the bound are not kept");
    }
}
