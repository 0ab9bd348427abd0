package org.vlalign.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Machine-limit probes that every benchmark reports against: fp32 matmul GFLOP/s (1024³ through DJL),
 * weight-streaming bandwidth of a vector×matrix product (4096×4096 fp32 through DJL), plain memory
 * bandwidth (copying a 256 MB Java float array, counting bytes read plus written) and the cost of one
 * tiny NDArray op (JNI overhead).
 *
 * <p>The static probes ({@link #matmulGflops()}, {@link #gemvGbs()}, {@link #streamGbs()}, {@link
 * #tinyOpMicros()}) measure once per JVM and cache the result, so a benchmark's {@code @Setup} can
 * print its ratio to the roofline measured in the same run. The {@code @Benchmark} methods expose the
 * same probes to JMH for a proper measurement. Thread-safe.
 *
 * @since 0.1.0
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// Short warmup: the probes are single native calls whose cost is stable after a few repetitions.
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
// One fork: the probes need a fresh JVM only to avoid another benchmark's native pool state.
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dai.djl.offline=true"})
public class Roofline {

    private static final int MATMUL_N = 1024;
    private static final int GEMV_N = 4096;
    private static final int STREAM_FLOATS = 64 << 20; // 256 MB

    private static volatile double matmulGflops;
    private static volatile double gemvGbs;
    private static volatile double streamGbs;
    private static volatile double tinyOpMicros;
    private static volatile double readGbs;
    private static final int READ_LONGS = 128 << 20; // 1 GB

    private NDManager manager;
    private NDArray a; // (1024, 1024)
    private NDArray b; // (1024, 1024)
    private NDArray vector; // (1, 4096)
    private NDArray matrix; // (4096, 4096)
    private float[] stream;
    private float[] streamCopy;

    /** Allocates the operands. */
    @Setup
    public void setup() {
        manager = NDManager.newBaseManager();
        a = manager.randomUniform(-1, 1, new Shape(MATMUL_N, MATMUL_N), DataType.FLOAT32);
        b = manager.randomUniform(-1, 1, new Shape(MATMUL_N, MATMUL_N), DataType.FLOAT32);
        vector = manager.randomUniform(-1, 1, new Shape(1, GEMV_N), DataType.FLOAT32);
        matrix = manager.randomUniform(-1, 1, new Shape(GEMV_N, GEMV_N), DataType.FLOAT32);
        stream = new float[STREAM_FLOATS];
        streamCopy = new float[STREAM_FLOATS];
        java.util.Arrays.fill(stream, 1f);
        System.out.println(summary());
    }

    /** Releases the operands. */
    @TearDown
    public void tearDown() {
        manager.close();
    }

    /**
     * 1024³ fp32 matmul (2·1024³ FLOP).
     *
     * @return a checksum so the work is not eliminated
     */
    @Benchmark
    public float matmul1024() {
        try (NDArray c = a.matMul(b)) {
            return c.getFloat(0, 0);
        }
    }

    /**
     * Vector × 4096×4096 matrix: streams 64 MB of weights, like one decode step of a 4096-wide layer.
     *
     * @return a checksum
     */
    @Benchmark
    public float gemv4096() {
        try (NDArray c = vector.matMul(matrix)) {
            return c.getFloat(0, 0);
        }
    }

    /**
     * Copies a 256 MB float array in Java (512 MB of memory traffic).
     *
     * @return a copied element
     */
    @Benchmark
    public float copy256mb() {
        System.arraycopy(stream, 0, streamCopy, 0, STREAM_FLOATS);
        return streamCopy[STREAM_FLOATS / 2];
    }

    /**
     * The measured fp32 matmul rate (cached after the first call).
     *
     * @return GFLOP/s of a 1024³ matmul through DJL
     */
    public static synchronized double matmulGflops() {
        if (matmulGflops == 0) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray x = m.randomUniform(-1, 1, new Shape(MATMUL_N, MATMUL_N), DataType.FLOAT32);
                NDArray y = m.randomUniform(-1, 1, new Shape(MATMUL_N, MATMUL_N), DataType.FLOAT32);
                double seconds = bestOf(5, () -> x.matMul(y).close());
                matmulGflops = 2.0 * MATMUL_N * MATMUL_N * MATMUL_N / seconds / 1e9;
            }
        }
        return matmulGflops;
    }

    /**
     * The measured weight-streaming rate of vector × matrix (cached).
     *
     * @return GB/s of fp32 weights read by a 4096×4096 gemv through DJL
     */
    public static synchronized double gemvGbs() {
        if (gemvGbs == 0) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray v = m.randomUniform(-1, 1, new Shape(1, GEMV_N), DataType.FLOAT32);
                NDArray w = m.randomUniform(-1, 1, new Shape(GEMV_N, GEMV_N), DataType.FLOAT32);
                double seconds = bestOf(10, () -> v.matMul(w).close());
                gemvGbs = 4.0 * GEMV_N * GEMV_N / seconds / 1e9;
            }
        }
        return gemvGbs;
    }

    /**
     * The measured Java memory bandwidth (cached).
     *
     * @return GB/s of read plus written bytes copying a 256 MB float array
     */
    public static synchronized double streamGbs() {
        if (streamGbs == 0) {
            float[] x = new float[STREAM_FLOATS];
            float[] y = new float[STREAM_FLOATS];
            java.util.Arrays.fill(x, 1f);
            double seconds = bestOf(5, () -> System.arraycopy(x, 0, y, 0, STREAM_FLOATS));
            streamGbs = 2 * 4.0 * STREAM_FLOATS / seconds / 1e9;
        }
        return streamGbs;
    }

    /**
     * The measured read bandwidth of all cores together (cached): what batch-1 decoding, which reads every
     * weight once per token, can reach at most.
     *
     * @return GB/s read summing a 1 GB array, split over the available processors
     */
    public static synchronized double readGbs() {
        if (readGbs == 0) {
            long[] x = new long[READ_LONGS];
            java.util.Arrays.fill(x, 1L);
            int threads = Runtime.getRuntime().availableProcessors();
            long[] sink = new long[threads];
            double seconds = bestOf(5, () -> java.util.stream.IntStream.range(0, threads).parallel().forEach(t -> {
                int from = (int) ((long) READ_LONGS * t / threads);
                int to = (int) ((long) READ_LONGS * (t + 1) / threads);
                long a = 0;
                long b = 0;
                for (int i = from; i < to; i += 2) {
                    a += x[i];
                    b += x[i + 1];
                }
                sink[t] = a + b;
            }));
            if (java.util.Arrays.stream(sink).sum() != READ_LONGS) {
                throw new IllegalStateException("the read probe summed " + java.util.Arrays.toString(sink));
            }
            readGbs = 8.0 * READ_LONGS / seconds / 1e9;
        }
        return readGbs;
    }

    /**
     * The measured cost of one tiny NDArray op (cached).
     *
     * @return microseconds for adding two 4-element arrays through DJL
     */
    public static synchronized double tinyOpMicros() {
        if (tinyOpMicros == 0) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray x = m.ones(new Shape(4));
                int n = 2000;
                double seconds = bestOf(5, () -> {
                    for (int i = 0; i < n; i++) {
                        x.add(x).close();
                    }
                });
                tinyOpMicros = seconds / n * 1e6;
            }
        }
        return tinyOpMicros;
    }

    /**
     * All probes on one line.
     *
     * @return e.g. {@code roofline: matmul1024 150.0 GFLOP/s, gemv4096 19.0 GB/s, ..., java read 22.0 GB/s, ...}
     */
    public static String summary() {
        return String.format(Locale.ROOT,
                "roofline: matmul1024 %.1f GFLOP/s, gemv4096 %.1f GB/s, java copy %.1f GB/s, java read %.1f GB/s,"
                        + " tiny op %.1f us",
                matmulGflops(), gemvGbs(), streamGbs(), readGbs(), tinyOpMicros());
    }

    private static double bestOf(int repeats, Runnable r) {
        r.run(); // warm up
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }
}
