package org.vlalign.defaultmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;

/**
 * Soak of the default model under concurrent load (issue 15, item 8): many threads asking at once get
 * exactly the answers of sequential calls, and resident memory stays flat over many calls.
 *
 * <p>Tagged {@code slow}, so the default suite skips it. The sizes are the defaults (8 threads
 * × 1,000 asks; 10,000 calls for the memory check, 1,000 of them warm-up). Run it with:
 *
 * <pre>
 * mvn -B -o verify -pl vlalign-default-model -am -Dtest.excluded=none -Dtest=DefaultModelSoakTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Dvlalign.soak.asksPerThread=1000 -Dvlalign.soak.calls=10000]
 * </pre>
 *
 * <p>Resident memory is read from {@code /proc/self/status} ({@code VmRSS}), so the memory check runs
 * on Linux only; it covers the Java heap and PyTorch's native allocations alike.
 */
@Tag("slow")
class DefaultModelSoakTest {
    private static final int THREADS = 8;
    private static final int ASKS_PER_THREAD = Integer.getInteger("vlalign.soak.asksPerThread", 1000);
    private static final int CALLS = Integer.getInteger("vlalign.soak.calls", 10_000);
    /** Calls before the baseline reading: lets the heap, malloc arenas and PyTorch's caches reach size. */
    private static final int WARMUP_CALLS = Integer.getInteger("vlalign.soak.warmupCalls", Math.max(100, CALLS / 10));
    private static final double MAX_RSS_GROWTH = 0.05;
    private static final List<String> QUESTIONS = List.of(
            "what colour is the circle?", "what shape is in the picture?", "describe the image.",
            "how many objects are there?");
    private static final GenerationConfig GREEDY = GenerationConfig.builder().maxNewTokens(16).build();

    private static VlModel model;
    private static List<byte[]> images;

    @BeforeAll
    static void load() throws IOException {
        model = DefaultModel.load();
        images = new ArrayList<>();
        for (Path p : DefaultModel.sampleImages()) {
            images.add(Files.readAllBytes(p));
        }
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void should_answer_concurrent_asks_exactly_as_sequential_ones() throws Exception {
        int pairs = images.size() * QUESTIONS.size();
        List<Answer> expected = new ArrayList<>(pairs);
        for (int i = 0; i < pairs; i++) {
            expected.add(ask(i));
        }
        AtomicInteger mismatches = new AtomicInteger();
        List<String> firstMismatches = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int n = 0; n < ASKS_PER_THREAD; n++) {
                        // each thread walks the pairs from its own offset, so different asks overlap in time
                        int i = (thread * 7 + n) % pairs;
                        Answer got = ask(i);
                        Answer want = expected.get(i);
                        if (!got.text().equals(want.text()) || !Arrays.equals(got.tokenIds(), want.tokenIds())) {
                            mismatches.incrementAndGet();
                            if (firstMismatches.size() < 5) {
                                firstMismatches.add("pair " + i + ": '" + got.text() + "' vs '" + want.text() + "'");
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("soak: %d threads x %d asks over %d image/question pairs, %d mismatches%n",
                THREADS, ASKS_PER_THREAD, pairs, mismatches.get());
        assertEquals(0, mismatches.get(), "concurrent answers differ from sequential ones: " + firstMismatches);
    }

    @Test
    void should_keep_resident_memory_flat_over_many_calls() throws Exception {
        long before = rssKiB(); // fails on a system without /proc: the check is Linux-only by design
        runCalls(WARMUP_CALLS);
        long baseline = settledRssKiB();
        int measured = CALLS - WARMUP_CALLS;
        long peak = baseline;
        int chunk = Math.max(1, measured / 10);
        for (int done = 0; done < measured; done += chunk) {
            runCalls(Math.min(chunk, measured - done));
            peak = Math.max(peak, rssKiB());
        }
        long after = settledRssKiB();
        double growth = (after - baseline) / (double) baseline;
        System.out.printf("soak: RSS %d KiB at start, %d KiB after %d warm-up calls, %d KiB after %d more"
                        + " (growth %.2f%%, peak %d KiB)%n",
                before, baseline, WARMUP_CALLS, after, measured, growth * 100, peak);
        assertTrue(growth < MAX_RSS_GROWTH, String.format(
                "RSS grew %.2f%% (%d -> %d KiB) over %d calls; the bound is %.0f%%",
                growth * 100, baseline, after, measured, MAX_RSS_GROWTH * 100));
    }

    /** Runs {@code n} asks spread over {@value #THREADS} threads. */
    private static void runCalls(int n) throws Exception {
        AtomicInteger next = new AtomicInteger();
        int pairs = images.size() * QUESTIONS.size();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                done.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                        ask(i % pairs);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Answer ask(int pair) {
        byte[] image = images.get(pair % images.size());
        String question = QUESTIONS.get(pair / images.size() % QUESTIONS.size());
        return model.ask(ImageInput.of(image), question, GREEDY);
    }

    /** RSS after a full GC, so that garbage not yet collected is not mistaken for growth. */
    private static long settledRssKiB() throws IOException {
        System.gc();
        return rssKiB();
    }

    private static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("/proc/self/status has no VmRSS line");
    }
}
