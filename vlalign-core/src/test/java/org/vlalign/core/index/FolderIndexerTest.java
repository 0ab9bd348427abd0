package org.vlalign.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageIndex;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;

class FolderIndexerTest {
    private static final EmbeddingSpace RGB = new EmbeddingSpace("fake-rgb", "v1", "mean colour", 3);
    @TempDir Path tmp;

    /** A fake embedding: the image's mean colour as a unit vector. Counts its calls. */
    private static final class MeanColour implements Function<ImageInput, Features> {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public Features apply(ImageInput input) {
            calls.incrementAndGet();
            BufferedImage image;
            try {
                image = ImageIO.read(new ByteArrayInputStream(input.encoded().orElseThrow()));
            } catch (IOException e) {
                throw new ImageDecodingException("cannot decode " + input.description() + ": " + e.getMessage(), e);
            }
            if (image == null) {
                throw new ImageDecodingException("not a decodable image: " + input.description());
            }
            double r = 0, g = 0, b = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    int rgb = image.getRGB(x, y);
                    r += (rgb >> 16) & 0xff;
                    g += (rgb >> 8) & 0xff;
                    b += rgb & 0xff;
                }
            }
            double n = Math.sqrt(r * r + g * g + b * b);
            return Features.ofVector(new float[] {(float) (r / n), (float) (g / n), (float) (b / n)});
        }
    }

    /** Counts commits of the index it wraps. */
    private static final class CountingIndex implements ImageIndex {
        final ImageIndex delegate;
        int commits;

        CountingIndex(ImageIndex delegate) {
            this.delegate = delegate;
        }

        @Override public EmbeddingSpace space() { return delegate.space(); }
        @Override public void upsert(String id, Features v, Map<String, String> m) { delegate.upsert(id, v, m); }
        @Override public boolean remove(String id) { return delegate.remove(id); }
        @Override public Optional<Map<String, String>> metadata(String id) { return delegate.metadata(id); }
        @Override public int size() { return delegate.size(); }
        @Override public List<SearchHit> search(Features q, int k) { return delegate.search(q, k); }
        @Override public void commit() { commits++; delegate.commit(); }
        @Override public void close() { delegate.close(); }
    }

    private static void png(Path file, Color color) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage image = new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 6; y++) {
            for (int x = 0; x < 8; x++) {
                image.setRGB(x, y, color.getRGB());
            }
        }
        assertTrue(ImageIO.write(image, "png", file.toFile()));
    }

    @Test
    void should_index_report_skip_and_resume() throws IOException {
        Path photos = tmp.resolve("photos");
        png(photos.resolve("red.png"), Color.RED);
        png(photos.resolve("sub/green.PNG"), Color.GREEN);
        png(photos.resolve("sub/deeper/blue.png"), Color.BLUE);
        png(photos.resolve("sub/yellow.png"), Color.YELLOW);
        png(photos.resolve("cyan.png"), Color.CYAN);
        Files.write(photos.resolve("broken.jpg"), new byte[] {1, 2, 3, 4, 5});
        Files.writeString(photos.resolve("notes.txt"), "not an image");
        MeanColour embed = new MeanColour();
        List<String> progress = new ArrayList<>();
        try (CountingIndex index = new CountingIndex(ExactImageIndex.open(tmp.resolve("idx"), RGB))) {
            FolderIndexer.Report report =
                    FolderIndexer.builder(index, embed)
                            .commitEvery(2)
                            .progress((done, total, file) -> progress.add(done + "/" + total + " " + file.getFileName()))
                            .build()
                            .index(photos);
            assertEquals(6, report.found());
            assertEquals(5, report.indexed());
            assertEquals(0, report.unchanged());
            assertEquals(1, report.failures().size(), report.toString());
            assertEquals(photos.resolve("broken.jpg").toAbsolutePath(), report.failures().get(0).path());
            assertTrue(report.failures().get(0).reason().contains("broken.jpg"), report.toString());
            assertEquals(6, progress.size());
            assertEquals("1/6 broken.jpg", progress.get(0), "sorted by path");
            assertEquals("6/6 yellow.png", progress.get(5));
            assertEquals(3, index.commits, "after 2 and 4 images, and at the end");
            assertEquals(5, index.size());
            Map<String, String> meta = index.metadata("sub/deeper/blue.png").orElseThrow();
            Path blue = photos.resolve("sub/deeper/blue.png").toAbsolutePath();
            assertEquals(blue.toString(), meta.get(FolderIndexer.SOURCE));
            assertEquals(Long.toString(Files.size(blue)), meta.get(FolderIndexer.SIZE));
            assertEquals(
                    Long.toString(Files.getLastModifiedTime(blue).toMillis()), meta.get(FolderIndexer.MTIME));
            List<SearchHit> hits = index.search(Features.ofVector(new float[] {0, 0, 1}), 1);
            assertEquals("sub/deeper/blue.png", hits.get(0).id());
        }
        assertEquals(6, embed.calls.get());

        // a second run embeds only the changed file and the still broken one
        Path red = photos.resolve("red.png");
        png(red, Color.MAGENTA);
        Files.setLastModifiedTime(red, FileTime.fromMillis(Files.getLastModifiedTime(red).toMillis() + 5000));
        try (ExactImageIndex index = ExactImageIndex.open(tmp.resolve("idx"), RGB)) {
            FolderIndexer.Report report = FolderIndexer.builder(index, embed).build().index(photos);
            assertEquals(1, report.indexed());
            assertEquals(4, report.unchanged());
            assertEquals(1, report.failures().size());
            assertEquals(8, embed.calls.get());
            float s = (float) (1 / Math.sqrt(2));
            assertEquals("red.png", index.search(Features.ofVector(new float[] {s, 0, s}), 1).get(0).id());
        }
    }

    @Test
    void should_refuse_a_path_that_is_not_a_folder() throws IOException {
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        try (ImageIndex index = ExactImageIndex.inMemory(RGB)) {
            FolderIndexer indexer = FolderIndexer.builder(index, new MeanColour()).build();
            assertThrows(InvalidArgumentException.class, () -> indexer.index(file));
            assertThrows(InvalidArgumentException.class, () -> FolderIndexer.builder(index, new MeanColour()).commitEvery(0));
        }
    }

    @Test
    void should_stop_when_the_embedding_does_not_fit_the_index() throws IOException {
        Path photos = tmp.resolve("p");
        png(photos.resolve("a.png"), Color.RED);
        EmbeddingSpace wide = new EmbeddingSpace("fake", "v", "none", 4);
        try (ImageIndex index = ExactImageIndex.inMemory(wide)) {
            FolderIndexer indexer = FolderIndexer.builder(index, new MeanColour()).build();
            assertThrows(InvalidArgumentException.class, () -> indexer.index(photos));
        }
    }
}
