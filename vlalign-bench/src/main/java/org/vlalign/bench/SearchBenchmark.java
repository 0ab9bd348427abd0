package org.vlalign.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
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
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.SearchHit;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.lucene.LuceneHnswImageIndex;

/**
 * Search latency of the exact scan ({@link ExactImageIndex}) and of Lucene HNSW ({@link
 * LuceneHnswImageIndex}) on random unit vectors of width 256, against the memory bandwidth measured
 * in the same run.
 *
 * <p>The exact scan reads {@code 4 · images · vectorsPerImage · 256} bytes per query, so its floor is
 * that size divided by the memory bandwidth; {@code @Setup} prints both, and the HNSW setup prints
 * HNSW's recall@10 against the exact result on the same data. QPS of one thread is the reciprocal of
 * the reported latency. The main method runs the same comparison without JMH (see the README).
 *
 * <p>Not thread-safe: JMH runs each state on its own.
 *
 * @since 0.1.0
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// A scan touches hundreds of MB per call: two short warm-ups reach C2 and fault the pages in.
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
// One fork: building 100k+ images dominates the run, and the scan has no JIT-profile pitfalls.
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx12g"})
public class SearchBenchmark {
    static final int DIM = 256;
    static final int QUERIES = 64;
    static final int RECALL_QUERIES = 100;

    /** The exact index at several sizes, one vector (CLIP) or 32 (BLIP-2 query tokens) per image. */
    @State(Scope.Benchmark)
    public static class ExactState {
        /** Images in the index. 1000000 with vectorsPerImage 1 needs about 1.1 GB of heap. */
        @Param({"10000", "100000"})
        public int images;

        /** Vectors per image. */
        @Param({"1", "32"})
        public int vectorsPerImage;

        /** {@code random}: isotropic unit vectors; {@code clustered}: unit vectors around 256 centres. */
        @Param({"random"})
        public String data;

        ExactImageIndex index;
        Features[] queries;
        int next;

        @Setup(Level.Trial)
        public void setup() {
            index = buildExact(Data.of(data), images, vectorsPerImage, 42);
            queries = queries(Data.of(data), QUERIES, 7);
            long bytes = 4L * images * vectorsPerImage * DIM;
            double gbs = MemoryBandwidth.measure();
            System.out.printf(
                    Locale.ROOT,
                    "%n[exact] images=%d vectors/image=%d: %.1f MB scanned per query; read bandwidth"
                            + " %.1f GB/s (all cores) => floor %.1f us/query; Roofline java copy %.1f GB/s%n",
                    images, vectorsPerImage, bytes / 1e6, gbs, bytes / gbs / 1e3, Roofline.streamGbs());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            index.close();
        }
    }

    /** Lucene HNSW at several sizes, one vector per image, compared with the exact index. */
    @State(Scope.Benchmark)
    public static class HnswState {
        /** Images in the index. Building 1000000 takes long on two cores: pass it with -p. */
        @Param({"10000", "100000"})
        public int images;

        /** Candidates per search (HNSW beam); more is slower and more accurate. */
        @Param({"100"})
        public int numCandidates;

        /** {@code random}: isotropic unit vectors; {@code clustered}: unit vectors around 256 centres. */
        @Param({"random"})
        public String data;

        LuceneHnswImageIndex index;
        Path dir;
        Features[] queries;
        int next;

        @Setup(Level.Trial)
        public void setup() throws Exception {
            dir = Files.createTempDirectory("vlalign-hnsw-bench");
            long t0 = System.nanoTime();
            Data d = Data.of(data);
            index = buildHnsw(d, dir, images, numCandidates, 42);
            double buildS = (System.nanoTime() - t0) / 1e9;
            queries = queries(d, QUERIES, 7);
            try (ExactImageIndex exact = buildExact(d, images, 1, 42)) {
                double recall = recall(exact, index, queries(d, RECALL_QUERIES, 99));
                System.out.printf(
                        Locale.ROOT,
                        "%n[hnsw] images=%d numCandidates=%d data=%s: built in %.1f s; recall@10 vs"
                                + " exact %.3f over %d queries%n",
                        images, numCandidates, data, buildS, recall, RECALL_QUERIES);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            index.close();
            deleteRecursively(dir);
        }
    }

    /**
     * One exact top-10 search.
     *
     * @param s the state
     * @return the hits, consumed by JMH
     */
    @Benchmark
    public List<SearchHit> exact(ExactState s) {
        return s.index.search(s.queries[s.next++ & (QUERIES - 1)], 10);
    }

    /**
     * One HNSW top-10 search.
     *
     * @param s the state
     * @return the hits, consumed by JMH
     */
    @Benchmark
    public List<SearchHit> hnsw(HnswState s) {
        return s.index.search(s.queries[s.next++ & (QUERIES - 1)], 10);
    }

    static final EmbeddingSpace SPACE = new EmbeddingSpace("bench", "random", "none", DIM);

    /** How the benchmark vectors are drawn. */
    enum Data {
        /** Isotropic random unit vectors: no structure, the hardest case for a graph index. */
        RANDOM,
        /**
         * Unit vectors around 256 random centres (noise of norm about 0.8), closer to real
         * embeddings, which concentrate on a low-dimensional set.
         */
        CLUSTERED;

        private static final int CENTRES = 256;
        private static final float[][] CENTRE = centres();

        static Data of(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }

        private static float[][] centres() {
            SplittableRandom random = new SplittableRandom(1234);
            float[][] c = new float[CENTRES][];
            for (int i = 0; i < CENTRES; i++) {
                c[i] = unitRows(1, random).data();
            }
            return c;
        }

        Features rows(int rows, SplittableRandom random) {
            if (this == RANDOM) {
                return unitRows(rows, random);
            }
            float[] data = unitRows(rows, random).data(); // (rows, dim) noise directions
            for (int r = 0; r < rows; r++) {
                float[] centre = CENTRE[random.nextInt(CENTRES)];
                double norm = 0;
                for (int c = 0; c < DIM; c++) {
                    float v = centre[c] + 0.8f * data[r * DIM + c];
                    data[r * DIM + c] = v;
                    norm += v * v;
                }
                float inv = (float) (1 / Math.sqrt(norm));
                for (int c = 0; c < DIM; c++) {
                    data[r * DIM + c] *= inv;
                }
            }
            return Features.of(data, rows, DIM);
        }
    }

    static ExactImageIndex buildExact(Data data, int images, int vectorsPerImage, long seed) {
        ExactImageIndex index = ExactImageIndex.inMemory(SPACE);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < images; i++) {
            index.upsert(id(i), data.rows(vectorsPerImage, random), Map.of());
        }
        return index;
    }

    static LuceneHnswImageIndex buildHnsw(Data data, Path dir, int images, int numCandidates, long seed) {
        LuceneHnswImageIndex index =
                LuceneHnswImageIndex.open(
                        dir, SPACE, LuceneHnswImageIndex.Settings.defaults().withNumCandidates(numCandidates));
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < images; i++) {
            index.upsert(id(i), data.rows(1, random), Map.of());
        }
        index.commit();
        return index;
    }

    static String id(int i) {
        return String.format(Locale.ROOT, "img-%07d", i);
    }

    static Features[] queries(Data data, int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        Features[] q = new Features[n];
        for (int i = 0; i < n; i++) {
            q[i] = data.rows(1, random);
        }
        return q;
    }

    static Features unitRows(int rows, SplittableRandom random) {
        float[] data = new float[rows * DIM]; // (rows, dim)
        for (int r = 0; r < rows; r++) {
            double norm = 0;
            for (int c = 0; c < DIM; c++) {
                double v = random.nextGaussian();
                data[r * DIM + c] = (float) v;
                norm += v * v;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int c = 0; c < DIM; c++) {
                data[r * DIM + c] *= inv;
            }
        }
        return Features.of(data, rows, DIM);
    }

    /** The fraction of the exact top-10 ids that HNSW returns. */
    static double recall(ExactImageIndex exact, LuceneHnswImageIndex hnsw, Features[] queries) {
        return recall(exact, hnsw::search, queries);
    }

    static double recall(ExactImageIndex exact, Search hnsw, Features[] queries) {
        int found = 0;
        for (Features q : queries) {
            Set<String> truth = new HashSet<>();
            exact.search(q, 10).forEach(h -> truth.add(h.id()));
            for (SearchHit h : hnsw.search(q, 10)) {
                found += truth.contains(h.id()) ? 1 : 0;
            }
        }
        return found / (10.0 * queries.length);
    }

    static void deleteRecursively(Path dir) throws Exception {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * A probe of sustainable memory read bandwidth: every core sums its share of a 512 MB array with
     * the same unrolled loop shape as the exact scan. It complements {@link Roofline#streamGbs()}, a
     * one-core copy, because the scan only reads and runs on all cores. Thread-safe.
     *
     * @since 0.1.0
     */
    static final class MemoryBandwidth {
        private static final int FLOATS = 1 << 27; // 512 MB, far beyond the caches
        private static double cached;

        private MemoryBandwidth() {}

        /** Best of five passes, in GB/s (1e9 bytes), using all cores; cached per JVM. */
        static synchronized double measure() {
            if (cached > 0) {
                return cached;
            }
            float[] data = new float[FLOATS];
            for (int i = 0; i < FLOATS; i++) {
                data[i] = (i & 1023) * 1e-3f;
            }
            // compile the loop with C2 before timing it
            float[] small = new float[1 << 16];
            for (int i = 0; i < 2000; i++) {
                data[i] += (float) sum(small, 0, small.length) * 0f;
            }
            int threads = Runtime.getRuntime().availableProcessors();
            int chunk = FLOATS / threads;
            double best = 0;
            float sink = 0;
            for (int rep = 0; rep < 5; rep++) {
                long t0 = System.nanoTime();
                double sum =
                        IntStream.range(0, threads)
                                .parallel()
                                .mapToDouble(t -> sum(data, t * chunk, (t + 1) * chunk))
                                .sum();
                long ns = System.nanoTime() - t0;
                sink += (float) sum;
                best = Math.max(best, 4.0 * FLOATS / ns);
            }
            if (sink == 42) {
                System.out.print(""); // keeps the sums alive
            }
            cached = best;
            return best;
        }

        private static double sum(float[] a, int from, int to) {
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            int i = from;
            for (; i + 7 < to; i += 8) {
                s0 += a[i];
                s1 += a[i + 1];
                s2 += a[i + 2];
                s3 += a[i + 3];
                s4 += a[i + 4];
                s5 += a[i + 5];
                s6 += a[i + 6];
                s7 += a[i + 7];
            }
            for (; i < to; i++) {
                s0 += a[i];
            }
            return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        }
    }

    /**
     * Measures recall@10 and the speed-up of HNSW over the exact scan without JMH, for the README.
     *
     * @param args image counts, e.g. {@code 100000 1000000}; default 100000. The system property
     *     {@code vlalign.bench.data} selects {@code random} (default) or {@code clustered} vectors.
     * @throws Exception if the temporary folder fails
     */
    public static void main(String[] args) throws Exception {
        Data data = Data.of(System.getProperty("vlalign.bench.data", "random"));
        int[] sizes = args.length == 0 ? new int[] {100_000} : Stream.of(args).mapToInt(Integer::parseInt).toArray();
        double gbs = MemoryBandwidth.measure();
        System.out.printf(
                Locale.ROOT,
                "read bandwidth (all cores): %.1f GB/s; Roofline java copy (1 core, read+write): %.1f GB/s%n",
                gbs, Roofline.streamGbs());
        for (int n : sizes) {
            try (ExactImageIndex exact = buildExact(data, n, 1, 42)) {
                Path dir = Files.createTempDirectory("vlalign-hnsw-main");
                long t0 = System.nanoTime();
                try (LuceneHnswImageIndex hnsw = buildHnsw(data, dir, n, 100, 42)) {
                    double buildS = (System.nanoTime() - t0) / 1e9;
                    Features[] qs = queries(data, 200, 7);
                    double exactUs = time(exact::search, qs);
                    long bytes = 4L * n * DIM;
                    System.out.printf(
                            Locale.ROOT,
                            "images=%d dim=%d data=%s: exact %.0f us/query (%.1f GB/s scanned; probe %.1f GB/s);"
                                    + " hnsw built in %.0f s%n",
                            n, DIM, data, exactUs, bytes / exactUs / 1e3, gbs, buildS);
                    for (int candidates : new int[] {100, 400, 1000}) {
                        double hnswUs = time((q, k) -> hnsw.search(q, k, candidates), qs);
                        double recall = recall(exact, (q, k) -> hnsw.search(q, k, candidates),
                                queries(data, RECALL_QUERIES, 99));
                        System.out.printf(
                                Locale.ROOT,
                                "  hnsw numCandidates=%d: %.0f us/query, speed-up %.1fx, recall@10 %.3f%n",
                                candidates, hnswUs, exactUs / hnswUs, recall);
                    }
                } finally {
                    deleteRecursively(dir);
                }
            }
        }
    }

    interface Search {
        List<SearchHit> search(Features q, int k);
    }

    /** Mean microseconds per top-10 search after a warm-up pass. */
    private static double time(Search s, Features[] qs) {
        int sink = 0;
        for (int rep = 0; rep < 3; rep++) {
            for (Features q : qs) {
                sink += s.search(q, 10).size();
            }
        }
        long t0 = System.nanoTime();
        int reps = 5;
        for (int rep = 0; rep < reps; rep++) {
            for (Features q : qs) {
                sink += s.search(q, 10).size();
            }
        }
        double us = (System.nanoTime() - t0) / 1e3 / (reps * qs.length);
        return sink < 0 ? -1 : us;
    }
}
