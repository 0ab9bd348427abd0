package org.vlalign.spark;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.vlalign.EmbeddingSpace;
import org.vlalign.ImageIndex;
import org.vlalign.VlalignException;
import org.vlalign.core.index.ImageIndexes;
import org.vlalign.solr.SolrCloudImageIndex;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The command line of the Spark jobs, run through {@code spark-submit}:
 *
 * <pre>
 * spark-submit --class org.vlalign.spark.SparkMain vlalign-spark-job.jar embed --output OUT [--model DIR] INPUT...
 * spark-submit --class org.vlalign.spark.SparkMain vlalign-spark-job.jar load --table OUT --index DIR
 * spark-submit --class org.vlalign.spark.SparkMain vlalign-spark-job.jar load --table OUT --solr-zk ZK --collection C
 * </pre>
 *
 * <p>Exit status 0 on success, 1 if the job failed, 2 for a usage error. Not thread-safe: one instance per
 * run.
 *
 * @since 0.3.0
 */
@Command(
        name = "vlalign-spark",
        mixinStandardHelpOptions = true,
        subcommands = {SparkMain.Embed.class, SparkMain.Load.class},
        description = "Bulk image embedding on Apache Spark, and loading the embeddings into an image index.")
public final class SparkMain implements Callable<Integer> {

    private final SparkSession spark;

    private SparkMain(SparkSession spark) {
        this.spark = spark;
    }

    /**
     * Runs a command in the session {@code spark-submit} configured.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        int status;
        SparkSession spark = SparkSession.builder().appName("vlalign " + String.join(" ", args)).getOrCreate();
        try {
            status = run(spark, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
        } finally {
            spark.stop();
        }
        System.exit(status);
    }

    /**
     * Runs a command in a session.
     *
     * @param spark the session
     * @param out where results go
     * @param err where errors go
     * @param args the arguments
     * @return the exit status
     */
    public static int run(SparkSession spark, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new SparkMain(spark));
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof VlalignException) {
                line.getErr().println("vlalign-spark: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(new CommandLine(this), "name a command: embed or load");
    }

    /** What every subcommand is given: its parent, which holds the run's session, and its spec, for its output. */
    abstract static class Subcommand implements Callable<Integer> {
        @CommandLine.ParentCommand SparkMain parent;
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        /** Where the command prints its one-line report. */
        final PrintWriter out() {
            return spec.commandLine().getOut();
        }
    }

    @Command(name = "embed", mixinStandardHelpOptions = true,
            description = "Embed the images under INPUT folders (or INPUT files) into a Parquet table; resumable.")
    static final class Embed extends Subcommand {
        @Option(names = "--output", required = true, paramLabel = "TABLE", description = "The Parquet table (appended to).")
        String output;

        @Option(names = "--model", paramLabel = "DIR", description = "A model folder every executor can read"
                + " (default: vlalign's default model).")
        String model;

        @Option(names = "--partitions", paramLabel = "N", defaultValue = "0",
                description = "Tasks that share the work (default: Spark's default parallelism).")
        int partitions;

        @Parameters(arity = "1..*", paramLabel = "INPUT", description = "Folders or image files (Hadoop paths).")
        List<String> inputs;

        @Override
        public Integer call() {
            SparkEmbedJob.Report r = SparkEmbedJob.builder()
                    .inputs(inputs).output(output).model(model).partitions(partitions).build()
                    .run(parent.spark);
            out().printf("Found %d images, skipped %d already embedded, embedded %d, %d failed"
                    + " (rows with an error); table %s%n", r.found(), r.skipped(), r.embedded(), r.failed(), output);
            return 0;
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true,
            description = "Load a Parquet table of embeddings into a local index folder or a SolrCloud collection.")
    static final class Load extends Subcommand {
        @Option(names = "--table", required = true, paramLabel = "TABLE", description = "The Parquet table.")
        String table;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Target target;

        @Option(names = "--commit-every", paramLabel = "N", defaultValue = "1000",
                description = "Images between commits (default: ${DEFAULT-VALUE}).")
        int commitEvery;

        static final class Target {
            @ArgGroup(exclusive = false) Local local;
            @ArgGroup(exclusive = false) Solr solr;
        }

        static final class Local {
            @Option(names = "--index", required = true, paramLabel = "DIR", description = "A local index folder on the driver.")
            Path dir;

            @Option(names = "--kind", paramLabel = "KIND", defaultValue = "exact",
                    description = "exact or hnsw (default: ${DEFAULT-VALUE}).")
            String kind;
        }

        static final class Solr {
            @Option(names = "--solr-zk", required = true, paramLabel = "ZK",
                    description = "ZooKeeper address of the SolrCloud cluster: host:port[,host:port...][/chroot].")
            String zkHost;

            @Option(names = "--collection", required = true, paramLabel = "NAME", description = "The collection.")
            String collection;

            @Option(names = "--shards", paramLabel = "N", defaultValue = "1", description = "Shards of a new collection.")
            int shards;

            @Option(names = "--replicas", paramLabel = "N", defaultValue = "1",
                    description = "Replicas per shard of a new collection.")
            int replicas;
        }

        @Override
        public Integer call() {
            EmbeddingSpace space = SparkLoadJob.space(parent.spark, table);
            SparkLoadJob.Report r;
            try (ImageIndex index = open(space)) {
                r = SparkLoadJob.load(parent.spark, table, index, commitEvery);
            }
            out().printf("Loaded %d images (%d rows with an error skipped) from %s%n",
                    r.loaded(), r.failed(), table);
            return 0;
        }

        private ImageIndex open(EmbeddingSpace space) {
            if (target.local != null) {
                return ImageIndexes.open(target.local.dir, space, target.local.kind);
            }
            return SolrCloudImageIndex.connect(target.solr.zkHost, target.solr.collection, space,
                    SolrCloudImageIndex.Settings.defaults().withLayout(target.solr.shards, target.solr.replicas));
        }
    }
}
