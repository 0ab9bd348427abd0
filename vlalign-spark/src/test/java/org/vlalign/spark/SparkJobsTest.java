package org.vlalign.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.defaultmodel.DefaultModel;

/**
 * The embed and load jobs on Spark {@code local[2]} (two task slots in this JVM) with vlalign's default model, on a
 * few hundred generated pictures of shapes plus broken files.
 */
class SparkJobsTest {
    private static final long SEED = 31L;
    private static final int IMAGES = 240;

    private static SparkSession spark;

    @TempDir static Path tmp;

    @BeforeAll
    static void startSpark() {
        spark = SparkSession.builder()
                .master("local[2]")
                .appName("vlalign-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .getOrCreate();
    }

    @AfterAll
    static void stopSpark() {
        if (spark != null) {
            spark.stop();
        }
    }

    @Test
    void should_embed_like_one_machine_skip_bad_files_resume_and_load_into_an_index() throws IOException {
        Path photos = tmp.resolve("photos");
        SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < IMAGES; i++) {
            writeShapes(photos.resolve("batch-" + (i % 3)).resolve(String.format("img-%03d.png", i)), random);
        }
        Files.write(photos.resolve("broken.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        // A JPEG cut off after its header. (Spark's file listing drops empty files, so no row for those.)
        Files.write(photos.resolve("batch-0/cut.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16,
            'J', 'F', 'I', 'F', 0});
        Files.writeString(photos.resolve("notes.txt"), "not an image");
        String table = tmp.resolve("embeddings.parquet").toString();

        SparkEmbedJob job = SparkEmbedJob.builder()
                .inputs(List.of(photos.toString())).output(table).partitions(4).build();
        SparkEmbedJob.Report first = job.run(spark);
        assertEquals(new SparkEmbedJob.Report(IMAGES + 2, 0, IMAGES, 2), first);

        Map<String, Row> rows = new HashMap<>();
        for (Row r : spark.read().parquet(table).collectAsList()) {
            rows.put(r.getAs(EmbeddingTable.ID), r);
        }
        assertEquals(IMAGES + 2, rows.size(), "one row per file, no duplicates");
        assertNotNull(rows.get("broken.png").getAs(EmbeddingTable.ERROR));
        assertNull(rows.get("broken.png").getAs(EmbeddingTable.VECTORS));
        assertNotNull(rows.get("batch-0/cut.jpg").getAs(EmbeddingTable.ERROR));

        try (VlModel model = DefaultModel.load()) {
            FeatureExtractor extractor = model.featureExtractor();
            EmbeddingSpace space = extractor.embeddingSpace();
            for (int i = 0; i < IMAGES; i++) {
                String id = "batch-" + (i % 3) + "/" + String.format("img-%03d.png", i);
                Row r = rows.get(id);
                assertNotNull(r, id);
                assertNull(r.getAs(EmbeddingTable.ERROR), id);
                assertEquals(space.fingerprint(), r.getAs(EmbeddingTable.FINGERPRINT));
                assertEquals(space.dimension(), (int) r.getAs(EmbeddingTable.WIDTH));
                Features single = extractor.embedImage(ImageInput.of(photos.resolve(id)));
                assertEquals(single.rows(), (int) r.getAs(EmbeddingTable.COUNT), id);
                List<Float> values = r.getList(r.fieldIndex(EmbeddingTable.VECTORS));
                float[] got = new float[values.size()];
                for (int j = 0; j < got.length; j++) {
                    got[j] = values.get(j);
                }
                assertArrayEquals(single.data(), got, 1e-6f, "vectors of " + id + " against the single-machine path");
                assertEquals(String.valueOf(Files.size(photos.resolve(id))),
                        r.getJavaMap(r.fieldIndex(EmbeddingTable.METADATA)).get("size"));
            }

            // A re-run embeds only the new files (and retries the two that failed).
            for (int i = IMAGES; i < IMAGES + 7; i++) {
                writeShapes(photos.resolve("late").resolve("img-" + i + ".png"), random);
            }
            assertEquals(new SparkEmbedJob.Report(IMAGES + 9, IMAGES, 7, 2), job.run(spark));
            assertEquals(IMAGES + 7, spark.read().parquet(table).filter("error is null").count());

            // Load through the command line into a local exact index, then search it with an image's own vectors.
            Path index = tmp.resolve("photos.idx");
            StringWriter out = new StringWriter();
            int status = SparkMain.run(spark, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                    "load", "--table", table, "--index", index.toString(), "--commit-every", "50");
            assertEquals(0, status, out.toString());
            assertTrue(out.toString().contains("Loaded " + (IMAGES + 7) + " images"), out.toString());
            try (ExactImageIndex loaded = ExactImageIndex.open(index, space)) {
                assertEquals(IMAGES + 7, loaded.size());
                Features own = extractor.embedImage(ImageInput.of(photos.resolve("batch-1/img-004.png")));
                SearchHit top = loaded.search(Features.ofVector(own.row(0)), 1).get(0);
                assertEquals("batch-1/img-004.png", top.id());
                assertEquals(1.0, top.score(), 1e-5);
            }

            EmbeddingSpace other = new EmbeddingSpace(space.family(), "another", space.preprocessing(), space.dimension());
            try (ExactImageIndex wrong = ExactImageIndex.inMemory(other)) {
                assertThrows(InvalidArgumentException.class, () -> SparkLoadJob.load(spark, table, wrong, 10));
                assertEquals(0, wrong.size(), "nothing written before the space check");
            }
        }
    }

    @Test
    void should_refuse_a_missing_input() {
        SparkEmbedJob job = SparkEmbedJob.builder()
                .inputs(List.of(tmp.resolve("nowhere").toString())).output(tmp.resolve("x.parquet").toString()).build();
        assertThrows(InvalidArgumentException.class, () -> job.run(spark));
        assertThrows(InvalidArgumentException.class, () -> SparkEmbedJob.builder().inputs(List.of()));
        assertThrows(InvalidArgumentException.class, () -> SparkEmbedJob.builder().output("x").build());
    }

    @Test
    void should_name_ids_after_the_longest_input_folder() {
        List<String> roots = List.of("file:/data", "file:/data/photos");
        assertEquals("a/b.png", SparkEmbedJob.idOf("file:/data/photos/a/b.png", roots));
        assertEquals("other/c.png", SparkEmbedJob.idOf("file:/data/other/c.png", roots));
        assertEquals("d.png", SparkEmbedJob.idOf("file:/elsewhere/d.png", roots));
    }

    /** A 64×64 picture of one to three coloured shapes, the default model's world. */
    private static void writeShapes(Path file, SplittableRandom random) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 64, 64);
        Color[] colours = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW, Color.MAGENTA, Color.CYAN, Color.ORANGE,
            Color.BLACK};
        for (int s = 0, n = 1 + random.nextInt(3); s < n; s++) {
            g.setColor(colours[random.nextInt(colours.length)]);
            int x = random.nextInt(44);
            int y = random.nextInt(44);
            int size = 10 + random.nextInt(10);
            if (random.nextBoolean()) {
                g.fillOval(x, y, size, size);
            } else {
                g.fillRect(x, y, size, size);
            }
        }
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }
}
