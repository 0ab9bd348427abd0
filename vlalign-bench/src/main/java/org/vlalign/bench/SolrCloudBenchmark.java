package org.vlalign.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.SearchHit;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.lucene.LuceneHnswImageIndex;
import org.vlalign.solr.SolrCloudImageIndex;

/**
 * Indexing throughput and query latency of {@link SolrCloudImageIndex} on a {@link MiniSolrCloudCluster} (three Solr
 * nodes and ZooKeeper in the benchmark JVM, loopback only) against {@link LuceneHnswImageIndex} on the same vectors,
 * paired benchmark by benchmark.
 *
 * <p>Both indexes hold {@code images} images of {@code vectorsPerImage} random unit vectors of width 256 (BLIP-2's
 * 32 query tokens, or one pooled vector). {@code @Setup} fills them, prints the fill rate of each, checks each one's
 * Recall@10 against {@link ExactImageIndex} on the same data, so a fast but wrong configuration shows, and prints the
 * bytes each image takes in each index's files (vectors, graph, stored fields), for one replica. The
 * cluster runs in the same JVM on the same cores as the client: its numbers include every hop of a real cluster
 * except the network, and are a floor for latency, not a capacity figure.
 *
 * <p>Not thread-safe: JMH runs each state on its own.
 *
 * @since 0.3.0
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Solr's searchers and HNSW graphs are warm after setup's recall check; two short warm-ups reach C2 on the client.
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
// One fork: starting three Solr nodes and filling both indexes dominates the run.
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx8g", "-Dsolr.http1=true"})
public class SolrCloudBenchmark {
    static final int DIM = SearchBenchmark.DIM;
    static final int BATCH = 101;

    /** The cluster, a filled collection and a filled Lucene index on the same vectors. */
    @State(Scope.Benchmark)
    public static class Indexes {
        /** Images in each index. */
        @Param({"2000"})
        public int images;

        /** Vectors per image: 32 (BLIP-2 query tokens) or 1 (a pooled vector). */
        @Param({"32", "1"})
        public int vectorsPerImage;

        /** Shards × replicas of the collection. */
        @Param({"3x2", "1x1"})
        public String layout;

        Path base;
        MiniSolrCloudCluster cluster;
        SolrCloudImageIndex solr;
        LuceneHnswImageIndex lucene;
        Path luceneDir;
        Features[] queries;
        Features[] batches;
        int next;
        int batch;

        @Setup(Level.Trial)
        public void setup() throws Exception {
            try {
                fillAndCheck();
            } catch (Exception | Error e) {
                // JMH skips @TearDown when @Setup fails: release the nodes and the folders here.
                tearDown();
                throw e;
            }
        }

        private void fillAndCheck() throws Exception {
            base = Files.createTempDirectory("vlalign-solr-bench");
            cluster = new MiniSolrCloudCluster.Builder(3, base).withTraceIdGenerationDisabled().build();
            String[] sr = layout.split("x");
            int replicas = Integer.parseInt(sr[1]);
            EmbeddingSpace space = SearchBenchmark.SPACE;
            solr = SolrCloudImageIndex.connect(cluster.getZkServer().getZkAddress(), "bench", space,
                    SolrCloudImageIndex.Settings.defaults().withLayout(Integer.parseInt(sr[0]), replicas));
            luceneDir = Files.createTempDirectory("vlalign-solr-bench-lucene");
            lucene = LuceneHnswImageIndex.open(luceneDir, space);
            try (ExactImageIndex exact = ExactImageIndex.inMemory(space)) {
                SplittableRandom random = new SplittableRandom(42);
                Features[] rows = new Features[images];
                for (int i = 0; i < images; i++) {
                    rows[i] = SearchBenchmark.unitRows(vectorsPerImage, random);
                    exact.upsert(SearchBenchmark.id(i), rows[i], Map.of());
                }
                double solrRate = fill(solr, rows);
                double luceneRate = fill(lucene, rows);
                queries = SearchBenchmark.queries(SearchBenchmark.Data.of("random"), 64, 7);
                Features[] check = SearchBenchmark.queries(SearchBenchmark.Data.of("random"), 50, 99);
                double solrRecall = SearchBenchmark.recall(exact, (q, k) -> solr.search(q, k), check);
                double luceneRecall = SearchBenchmark.recall(exact, (q, k) -> lucene.search(q, k), check);
                System.out.printf(Locale.ROOT, "%n[solr %s] images=%d vectors/image=%d: filled at %.0f images/s,"
                                + " recall@10 %.3f; [lucene] filled at %.0f images/s, recall@10 %.3f%n",
                        layout, images, vectorsPerImage, solrRate, solrRecall, luceneRate, luceneRecall);
                // What each image costs on disk, by Lucene file kind, for one copy of the data: the basis of the
                // memory-per-10^6-images table in docs/search-at-scale.md.
                System.out.printf(Locale.ROOT, "[solr %s] bytes per image per replica: %s%n", layout,
                        perImage(indexBytes(base, true), (long) replicas * images));
                System.out.printf(Locale.ROOT, "[lucene] bytes per image: %s%n",
                        perImage(indexBytes(luceneDir, false), images));
                if (solrRecall < 0.9) {
                    throw new IllegalStateException("SolrCloud recall@10 " + solrRecall + " is too low to time");
                }
            }
            batches = new Features[BATCH];
            SplittableRandom random = new SplittableRandom(5);
            for (int i = 0; i < BATCH; i++) {
                batches[i] = SearchBenchmark.unitRows(vectorsPerImage, random);
            }
        }

        private static double fill(ImageIndex index, Features[] rows) {
            long t0 = System.nanoTime();
            for (int i = 0; i < rows.length; i++) {
                index.upsert(SearchBenchmark.id(i), rows[i], Map.of("source", "/bench/" + i + ".jpg"));
            }
            index.commit();
            return rows.length / ((System.nanoTime() - t0) / 1e9);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            // Each step runs even if an earlier one failed; the first failure is rethrown.
            Exception first = null;
            for (Closer c : new Closer[] {
                () -> close(solr),
                () -> close(lucene),
                () -> {
                    if (cluster != null) {
                        cluster.shutdown();
                    }
                },
                () -> SearchBenchmark.deleteRecursively(base),
                () -> SearchBenchmark.deleteRecursively(luceneDir)
            }) {
                try {
                    c.run();
                } catch (Exception e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
            solr = null;
            lucene = null;
            cluster = null;
            if (first != null) {
                // Reported, not thrown: JMH would discard the last measured iteration. After 32-vector trials Solr
                // 9.10.1's node shutdown waits 2 × 60 s for HttpShardHandlerFactory's client, whose close() parks in
                // Http2SolrClient$AsyncTracker.waitForComplete on an in-flight count that never returns to zero, then
                // MiniSolrCloudCluster.shutdown throws (see docs/search-at-scale.md).
                System.err.println("[teardown] " + first);
            }
        }

        private static void close(AutoCloseable c) throws Exception {
            if (c != null) {
                c.close();
            }
        }

        Features query() {
            return queries[next++ & (queries.length - 1)];
        }
    }

    /**
     * One top-10 search on the SolrCloud collection (block-join kNN on every shard, exact re-scoring).
     *
     * @param s the state
     * @return the hits
     */
    @Benchmark
    public List<SearchHit> solrSearch(Indexes s) {
        return s.solr.search(s.query(), 10);
    }

    /**
     * The paired top-10 search on the local Lucene HNSW index.
     *
     * @param s the state
     * @return the hits
     */
    @Benchmark
    public List<SearchHit> luceneSearch(Indexes s) {
        return s.lucene.search(s.query(), 10);
    }

    /**
     * Indexes {@value #BATCH} images (replacing earlier ones, so the index size stays fixed) and makes them durable;
     * images per second is {@value #BATCH} ÷ the time per operation.
     *
     * @param s the state
     * @param bh the sink
     */
    @Benchmark
    public void solrIndexBatch(Indexes s, Blackhole bh) {
        indexBatch(s, s.solr);
        bh.consume(s.batch);
    }

    /**
     * The paired indexing batch on the local Lucene HNSW index.
     *
     * @param s the state
     * @param bh the sink
     */
    @Benchmark
    public void luceneIndexBatch(Indexes s, Blackhole bh) {
        indexBatch(s, s.lucene);
        bh.consume(s.batch);
    }

    private static void indexBatch(Indexes s, ImageIndex index) {
        for (int i = 0; i < BATCH; i++) {
            index.upsert(SearchBenchmark.id((s.batch * BATCH + i) % s.images), s.batches[i], Map.of());
        }
        index.commit();
        s.batch++;
    }

    /** A tear-down step. */
    private interface Closer {
        void run() throws Exception;
    }

    /**
     * Bytes of the Lucene index files under {@code root}, by kind: {@code vec} (the float vectors the graph
     * searches), {@code vex} (the HNSW graph), {@code stored} ({@code fdt}/{@code fdx}/{@code fdm}: stored fields,
     * which hold the re-scoring vectors in SolrCloud), {@code compound} ({@code cfs}/{@code cfe}, small segments
     * packed into one file) and {@code other} (terms, postings, norms, metadata).
     *
     * @param root a folder
     * @param solrCores true to count only the {@code data/index*} folders of Solr cores (not update logs)
     */
    static Map<String, Long> indexBytes(Path root, boolean solrCores) throws IOException {
        Map<String, Long> bytes = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                Path dir = p.getParent();
                if (solrCores && !(dir.getFileName().toString().startsWith("index")
                        && dir.getParent() != null && dir.getParent().getFileName().toString().equals("data"))) {
                    continue;
                }
                String name = p.getFileName().toString();
                String ext = name.substring(name.lastIndexOf('.') + 1);
                String kind = switch (ext) {
                    case "vec", "vex" -> ext;
                    case "fdt", "fdx", "fdm" -> "stored";
                    case "cfs", "cfe" -> "compound";
                    default -> "other";
                };
                bytes.merge(kind, Files.size(p), Long::sum);
            }
        }
        return bytes;
    }

    private static String perImage(Map<String, Long> bytes, long images) {
        StringBuilder out = new StringBuilder();
        long total = 0;
        for (Map.Entry<String, Long> e : bytes.entrySet()) {
            out.append(String.format(Locale.ROOT, "%s %.0f, ", e.getKey(), e.getValue() / (double) images));
            total += e.getValue();
        }
        return out.append(String.format(Locale.ROOT, "total %.0f", total / (double) images)).toString();
    }
}
