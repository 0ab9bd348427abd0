package org.vlalign.llm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void should_cover_every_index_once_on_grain_boundaries() throws Exception {
        try (Parallel team = new Parallel(3)) {
            for (int n : new int[] {1, 2, 5, 64, 1000, 4099}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                team.forRange(n, 8, (lo, hi, member) -> {
                    if (lo % 8 != 0) {
                        throw new AssertionError("piece starts off the grain: " + lo);
                    }
                    for (int i = lo; i < hi; i++) {
                        hits.incrementAndGet(i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, hits.get(i), "index " + i + " of " + n);
                }
            }
        }
    }

    @Test
    void should_rethrow_a_failure_from_any_piece_and_keep_working() {
        try (Parallel team = new Parallel(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> team.forRange(100, 1,
                    (lo, hi, member) -> {
                        if (lo <= 77 && 77 < hi) {
                            throw new IllegalStateException("boom at 77");
                        }
                    }));
            assertEquals("boom at 77", e.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            team.forRange(10, 1, (lo, hi, m) -> {
                for (int i = lo; i < hi; i++) {
                    hits.incrementAndGet(i);
                }
            });
            assertEquals(1, hits.get(9));
        }
    }

    @Test
    void should_serve_callers_from_several_threads() throws Exception {
        try (Parallel team = new Parallel(2)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                Future<?>[] fs = new Future<?>[8];
                for (int t = 0; t < fs.length; t++) {
                    fs[t] = pool.submit(() -> {
                        for (int round = 0; round < 200; round++) {
                            AtomicIntegerArray hits = new AtomicIntegerArray(97);
                            team.forRange(97, 1, (lo, hi, m) -> {
                                for (int i = lo; i < hi; i++) {
                                    hits.incrementAndGet(i);
                                }
                            });
                            for (int i = 0; i < 97; i++) {
                                if (hits.get(i) != 1) {
                                    throw new AssertionError("index " + i);
                                }
                            }
                        }
                        return null;
                    });
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
