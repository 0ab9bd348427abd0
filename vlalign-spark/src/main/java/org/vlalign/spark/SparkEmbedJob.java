package org.vlalign.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.vlalign.Checks;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlalignException;
import org.vlalign.core.index.FolderIndexer;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Embeds image files in bulk on Apache Spark and writes one Parquet row per file ({@link EmbeddingTable}).
 *
 * <p>The driver lists the inputs with Spark's {@code binaryFile} source (folders recursively; jpg, jpeg,
 * png, bmp, gif) without reading their bytes, drops the ids the output already holds without an error (so
 * a re-run after a failure or after adding files embeds only what is new, and retries what failed), and
 * spreads the rest over {@code partitions} tasks. Each task reads its files through Hadoop's file system
 * and embeds them with the executor JVM's one shared model ({@code model} folder on a path every executor
 * can read, or vlalign's default model), with {@code spark.task.cpus} intra-op threads per task. A file
 * that cannot be read, is larger than {@code maxFileBytes}, or fails to decode gets a row with an {@code
 * error} instead of vectors; it never fails the job. Rows are appended to the output.
 *
 * <p>The vectors are exactly those of {@code model.featureExtractor().embedImage(ImageInput.of(file))} on
 * one machine: the same code runs in each task.
 *
 * <p>Immutable and thread-safe; {@link #run} may be called from any driver thread.
 *
 * <pre>{@code
 * SparkEmbedJob.Report report = SparkEmbedJob.builder()
 *         .inputs(List.of("hdfs:///photos"))
 *         .output("hdfs:///embeddings/photos.parquet")
 *         .build()
 *         .run(spark);
 * }</pre>
 *
 * @since 0.3.0
 */
public final class SparkEmbedJob {
    /** The file names the job embeds, as a Hadoop glob. */
    public static final String IMAGE_GLOB = "*.{jpg,jpeg,png,bmp,gif,JPG,JPEG,PNG,BMP,GIF}";

    /**
     * What a run did.
     *
     * @param found image files under the inputs
     * @param skipped files whose id the output already held without an error
     * @param embedded files embedded in this run
     * @param failed files of this run that got an error row
     * @since 0.3.0
     */
    public record Report(long found, long skipped, long embedded, long failed) {}

    private final List<String> inputs;
    private final String output;
    private final String model;
    private final int partitions;
    private final long maxFileBytes;

    private SparkEmbedJob(Builder b) {
        this.inputs = List.copyOf(b.inputs);
        this.output = b.output;
        this.model = b.model;
        this.partitions = b.partitions;
        this.maxFileBytes = b.maxFileBytes;
    }

    /**
     * A builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the job.
     *
     * @param spark the session
     * @return what the run did
     * @throws InvalidArgumentException if an input does not exist
     * @throws VlalignException if the model cannot embed for search, or writing fails
     */
    public Report run(SparkSession spark) {
        Checks.checkNotNull(spark, "spark");
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        List<String> roots = new ArrayList<>();
        for (String input : inputs) {
            roots.add(qualify(hadoop, input));
        }
        Dataset<Row> listed = spark.read()
                .format("binaryFile")
                .option("recursiveFileLookup", "true")
                .option("pathGlobFilter", IMAGE_GLOB)
                .load(inputs.toArray(String[]::new))
                .select("path", "length", "modificationTime");
        StructType filesSchema = new StructType()
                .add("id", DataTypes.StringType, false)
                .add("path", DataTypes.StringType, false)
                .add("length", DataTypes.LongType, false)
                .add("mtime", DataTypes.LongType, false);
        Dataset<Row> files = listed.map(new ToId(roots), Encoders.row(filesSchema)).cache();
        try {
            long found = files.count();
            Dataset<Row> todo = files;
            if (outputExists(hadoop)) {
                Dataset<Row> done = spark.read().parquet(output)
                        .filter(functions.col(EmbeddingTable.ERROR).isNull())
                        .select(functions.col(EmbeddingTable.ID).as("done_id"));
                todo = files.join(done, files.col("id").equalTo(done.col("done_id")), "left_anti");
            }
            long pending = todo.count();
            if (pending == 0) {
                return new Report(found, found, 0, 0);
            }
            int n = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
            LongAccumulator embedded = spark.sparkContext().longAccumulator("vlalign images embedded");
            LongAccumulator failed = spark.sparkContext().longAccumulator("vlalign images failed");
            todo.repartition((int) Math.min(n, pending))
                    .mapPartitions(new Embed(model, maxFileBytes, embedded, failed), Encoders.row(EmbeddingTable.SCHEMA))
                    .write()
                    .mode(SaveMode.Append)
                    .parquet(output);
            return new Report(found, found - pending, embedded.value(), failed.value());
        } finally {
            files.unpersist();
        }
    }

    private boolean outputExists(Configuration hadoop) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(output);
            FileSystem fs = p.getFileSystem(hadoop);
            if (!fs.exists(p)) {
                return false;
            }
            for (FileStatus s : fs.listStatus(p)) {
                if (s.getPath().getName().endsWith(".parquet")) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new VlalignException("Could not look at the output " + output + ": " + e.getMessage(), e);
        }
    }

    private static String qualify(Configuration hadoop, String input) {
        try {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(input);
            FileSystem fs = p.getFileSystem(hadoop);
            fs.getFileStatus(p);
            return fs.makeQualified(p).toString();
        } catch (FileNotFoundException e) {
            throw new InvalidArgumentException("input " + input + " does not exist. Pass folders or image files.", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidArgumentException("input " + input + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Turns a listed file into (id, path, length, mtime): the id is the path relative to its input. */
    private static final class ToId implements MapFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final List<String> roots;

        ToId(List<String> roots) {
            this.roots = List.copyOf(roots);
        }

        @Override
        public Row call(Row r) {
            String path = r.getString(0);
            return RowFactory.create(idOf(path, roots), path, r.getLong(1), ((Timestamp) r.get(2)).getTime());
        }
    }

    /** The path relative to the longest input folder it lies under, or its file name for a file input. */
    static String idOf(String path, List<String> roots) {
        String best = null;
        for (String root : roots) {
            String dir = root.endsWith("/") ? root : root + "/";
            if (path.startsWith(dir) && (best == null || dir.length() > best.length())) {
                best = dir;
            }
        }
        if (best != null) {
            return path.substring(best.length());
        }
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** Embeds the files of one partition with this JVM's model. */
    private static final class Embed implements MapPartitionsFunction<Row, Row>, Serializable {
        private static final long serialVersionUID = 1L;
        private final String model;
        private final long maxFileBytes;
        private final LongAccumulator embedded;
        private final LongAccumulator failed;

        Embed(String model, long maxFileBytes, LongAccumulator embedded, LongAccumulator failed) {
            this.model = model;
            this.maxFileBytes = maxFileBytes;
            this.embedded = embedded;
            this.failed = failed;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> files) {
            FeatureExtractor extractor = ExecutorModels.get(model).featureExtractor();
            EmbeddingSpace space = extractor.embeddingSpace();
            Configuration hadoop = new Configuration();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return files.hasNext();
                }

                @Override
                public Row next() {
                    Row f = files.next();
                    String id = f.getString(0);
                    String path = f.getString(1);
                    long length = f.getLong(2);
                    Map<String, String> meta = new LinkedHashMap<>();
                    meta.put(FolderIndexer.SOURCE, path);
                    meta.put(FolderIndexer.SIZE, Long.toString(length));
                    meta.put(FolderIndexer.MTIME, Long.toString(f.getLong(3)));
                    float[] vectors = null;
                    int count = 0;
                    String error = null;
                    try {
                        Features features = extractor.embedImage(ImageInput.of(read(hadoop, path, length)));
                        vectors = features.data(); // (count, width)
                        count = features.rows();
                        embedded.add(1);
                    } catch (IOException | VlalignException e) {
                        error = e.getClass().getSimpleName() + ": " + e.getMessage();
                        failed.add(1);
                    }
                    return RowFactory.create(id, path, space.family(), space.fingerprint(), space.preprocessing(),
                            count, space.dimension(), vectors, CollectionConverters.asScala(meta), error);
                }
            };
        }

        private byte[] read(Configuration hadoop, String path, long length) throws IOException {
            if (length > maxFileBytes) {
                throw new IOException("the file has " + length + " bytes, more than the limit of " + maxFileBytes
                        + " (raise maxFileBytes to embed it)");
            }
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
            try (InputStream in = p.getFileSystem(hadoop).open(p)) {
                byte[] bytes = in.readNBytes((int) length + 1);
                if (bytes.length != length) {
                    throw new IOException("the file changed while the job ran (" + bytes.length + " bytes read, "
                            + length + " listed)");
                }
                return bytes;
            }
        }
    }

    /**
     * Builds a {@link SparkEmbedJob}. Not thread-safe.
     *
     * @since 0.3.0
     */
    public static final class Builder {
        private final List<String> inputs = new ArrayList<>();
        private String output;
        private String model;
        private int partitions;
        private long maxFileBytes = 64L << 20;

        private Builder() {}

        /**
         * Folders (searched recursively) or image files, as Hadoop paths or URIs every executor can read.
         *
         * @param paths at least one
         * @return this builder
         */
        public Builder inputs(List<String> paths) {
            boolean valid = paths != null && !paths.isEmpty()
                    && paths.stream().allMatch(p -> p != null && !p.isBlank());
            Checks.checkArgument(valid, "inputs must be a non-empty list of paths but was %s", paths);
            inputs.clear();
            inputs.addAll(paths);
            return this;
        }

        /**
         * The Parquet output (a folder); rows are appended, and ids it holds are skipped.
         *
         * @param path a Hadoop path or URI
         * @return this builder
         */
        public Builder output(String path) {
            Checks.checkArgument(path != null && !path.isBlank(), "output must be a path but was '%s'", path);
            this.output = path;
            return this;
        }

        /**
         * A model folder on a path every executor can read; without one, vlalign's default model.
         *
         * @param folder the folder, or null for the default model
         * @return this builder
         */
        public Builder model(String folder) {
            this.model = folder;
            return this;
        }

        /**
         * How many tasks share the work; 0 (the default) uses Spark's default parallelism.
         *
         * @param n the number of partitions, at least 0
         * @return this builder
         */
        public Builder partitions(int n) {
            Checks.checkArgument(n >= 0, "partitions must be at least 0 but was %s", n);
            this.partitions = n;
            return this;
        }

        /**
         * The largest file the job reads (64 MiB by default); larger ones get an error row.
         *
         * @param bytes at least 1, at most 2 GiB − 2
         * @return this builder
         */
        public Builder maxFileBytes(long bytes) {
            Checks.checkArgument(bytes >= 1 && bytes <= Integer.MAX_VALUE - 2,
                    "maxFileBytes must be in [1, %s] but was %s", Integer.MAX_VALUE - 2, bytes);
            this.maxFileBytes = bytes;
            return this;
        }

        /**
         * The job.
         *
         * @return the job
         * @throws InvalidArgumentException if inputs or output are missing
         */
        public SparkEmbedJob build() {
            Checks.checkArgument(!inputs.isEmpty() && output != null,
                    "a SparkEmbedJob needs inputs and an output; set both");
            return new SparkEmbedJob(this);
        }
    }
}
