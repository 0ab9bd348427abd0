package org.vlalign.spark;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.index.IndexChecks;

/**
 * Loads the Parquet table of {@link SparkEmbedJob} into an {@link ImageIndex}: a local folder ({@code exact}
 * or {@code hnsw}) or a SolrCloud collection, whatever the driver opened.
 *
 * <p>Rows with an error are counted, not loaded. Every loaded row must be in the index's space (the table
 * records the model of each row); a table with rows of another model is refused before anything is
 * written. Rows stream to the driver partition by partition ({@code toLocalIterator}), so the driver holds
 * one partition at a time; the index is committed every {@code commitEvery} images and at the end, so an
 * interrupted load can simply run again (upserts replace).
 *
 * <p>Stateless and thread-safe; one load per index at a time.
 *
 * <pre>{@code
 * EmbeddingSpace space = SparkLoadJob.space(spark, "hdfs:///embeddings/photos.parquet");
 * try (ImageIndex index = SolrCloudImageIndex.connect("zk1:2181/solr", "photos", space)) {
 *     SparkLoadJob.Report report = SparkLoadJob.load(spark, "hdfs:///embeddings/photos.parquet", index, 1000);
 * }
 * }</pre>
 *
 * @since 0.3.0
 */
public final class SparkLoadJob {
    /**
     * What a load did.
     *
     * @param loaded images upserted
     * @param failed rows with an error, not loaded
     * @since 0.3.0
     */
    public record Report(long loaded, long failed) {}

    private SparkLoadJob() {}

    /**
     * The one embedding space of a table's rows without an error.
     *
     * @param spark the session
     * @param table the Parquet table
     * @return the space
     * @throws InvalidArgumentException if the table holds no embedded row, or rows of several spaces
     */
    public static EmbeddingSpace space(SparkSession spark, String table) {
        List<EmbeddingSpace> spaces = spaces(read(spark, table));
        if (spaces.size() != 1) {
            throw new InvalidArgumentException(
                    "the table " + table + " holds " + (spaces.isEmpty() ? "no embedded image" : "rows of "
                            + spaces.size() + " embedding spaces " + describe(spaces)) + "; load a table made"
                            + " with one model");
        }
        return spaces.get(0);
    }

    /**
     * Loads a table into an index.
     *
     * @param spark the session
     * @param table the Parquet table
     * @param index the index; committed, not closed
     * @param commitEvery images between commits, at least 1
     * @return what was loaded
     * @throws InvalidArgumentException if a row is of another space than the index
     */
    public static Report load(SparkSession spark, String table, ImageIndex index, int commitEvery) {
        if (index == null) {
            throw new InvalidArgumentException("index must not be null");
        }
        if (commitEvery < 1) {
            throw new InvalidArgumentException("commitEvery must be at least 1 but was " + commitEvery);
        }
        Dataset<Row> rows = read(spark, table);
        for (EmbeddingSpace s : spaces(rows)) {
            IndexChecks.checkSameSpace("The table " + table, "a new index", s, index.space());
        }
        long failed = rows.filter(col(EmbeddingTable.ERROR).isNotNull()).count();
        Dataset<Row> good = rows.filter(col(EmbeddingTable.ERROR).isNull())
                .select(EmbeddingTable.ID, EmbeddingTable.COUNT, EmbeddingTable.WIDTH, EmbeddingTable.VECTORS,
                        EmbeddingTable.METADATA);
        long loaded = 0;
        Iterator<Row> it = good.toLocalIterator();
        while (it.hasNext()) {
            Row r = it.next();
            String id = r.getString(0);
            int count = r.getInt(1);
            int width = r.getInt(2);
            List<Float> values = r.getList(3);
            if (values.size() != count * width) {
                throw new InvalidArgumentException("row '" + id + "' of " + table + " has " + values.size()
                        + " values but count × width = " + count + " × " + width + "; the table is damaged");
            }
            float[] data = new float[values.size()]; // (count, width)
            for (int i = 0; i < data.length; i++) {
                data[i] = values.get(i);
            }
            Map<String, String> meta = r.getJavaMap(4);
            index.upsert(id, Features.of(data, count, width), meta);
            if (++loaded % commitEvery == 0) {
                index.commit();
            }
        }
        index.commit();
        return new Report(loaded, failed);
    }

    private static Dataset<Row> read(SparkSession spark, String table) {
        if (spark == null || table == null || table.isBlank()) {
            throw new InvalidArgumentException("spark and table must be given; table was '" + table + "'");
        }
        return spark.read().schema(EmbeddingTable.SCHEMA).parquet(table);
    }

    private static List<EmbeddingSpace> spaces(Dataset<Row> rows) {
        List<EmbeddingSpace> out = new ArrayList<>();
        for (Row r : rows.filter(col(EmbeddingTable.ERROR).isNull())
                .select(EmbeddingTable.FAMILY, EmbeddingTable.FINGERPRINT, EmbeddingTable.PREPROCESSING,
                        EmbeddingTable.WIDTH)
                .distinct()
                .collectAsList()) {
            out.add(new EmbeddingSpace(r.getString(0), r.getString(1), r.getString(2), r.getInt(3)));
        }
        return out;
    }

    private static String describe(List<EmbeddingSpace> spaces) {
        List<String> s = new ArrayList<>();
        for (EmbeddingSpace e : spaces) {
            s.add(IndexChecks.describe(e));
        }
        return String.join(", ", s);
    }
}
