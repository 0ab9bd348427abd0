package org.vlalign.core.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM that commits in a loop at random moments and checks that the index reopens at a
 * whole committed generation, with nothing acknowledged as committed lost.
 */
class ExactImageIndexCrashTest {
    @TempDir Path tmp;

    @Test
    void should_reopen_at_a_committed_generation_when_the_writer_is_killed() throws Exception {
        long seed = 5150L;
        SplittableRandom random = new SplittableRandom(seed);
        Path dir = tmp.resolve("crash");
        int lastSeen = 0;
        int kills = 5;
        for (int kill = 0; kill < kills; kill++) {
            AtomicInteger acked = new AtomicInteger(lastSeen);
            Path log = tmp.resolve("child-" + kill + ".log");
            Process child = start(dir, log);
            Thread reader = readAcks(child, acked);
            // wait for the first commit of this run, then kill at a random moment
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acked.get() == lastSeen && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(child.isAlive(), () -> "child exited early: " + readLog(log));
            Thread.sleep(random.nextInt(20, 400));
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            reader.join(10_000);
            int ackedRound = acked.get();
            String what = "seed " + seed + ", kill " + kill + ", last acknowledged round " + ackedRound;
            try (ExactImageIndex index = ExactImageIndex.open(dir, CrashWriterMain.SPACE)) {
                int round = CrashWriterMain.currentRound(index);
                assertTrue(round >= ackedRound, what + ": reopened at round " + round);
                assertTrue(round <= ackedRound + 1, what + ": reopened at round " + round);
                checkRound(index, round, what);
                lastSeen = round;
            }
        }
        assertTrue(lastSeen >= kills, "the child committed at least once per run: " + lastSeen);
    }

    private static void checkRound(ExactImageIndex index, int round, String what) {
        List<String> expected = new ArrayList<>();
        for (int i = round; i < round + CrashWriterMain.IMAGES; i++) {
            expected.add(CrashWriterMain.id(i));
        }
        assertEquals(expected, index.ids(), what);
        int dim = CrashWriterMain.SPACE.dimension();
        for (int i = round; i < round + CrashWriterMain.IMAGES; i++) {
            String id = CrashWriterMain.id(i);
            assertEquals(Optional.of(Map.of("round", "" + round)), index.metadata(id), what + ": " + id);
            assertEquals(
                    Optional.of(CrashWriterMain.vectors(round, i, dim)), index.vectors(id), what + ": " + id);
        }
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Process start(Path dir, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb =
                new ProcessBuilder(
                        java,
                        "-Xmx256m",
                        "-XX:TieredStopAtLevel=1",
                        "-cp",
                        System.getProperty("java.class.path"),
                        CrashWriterMain.class.getName(),
                        dir.toString());
        pb.redirectError(log.toFile());
        return pb.start();
    }

    private static Thread readAcks(Process child, AtomicInteger acked) {
        Thread t =
                new Thread(
                        () -> {
                            try (BufferedReader r =
                                    new BufferedReader(
                                            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                                String line;
                                while ((line = r.readLine()) != null) {
                                    if (line.startsWith("committed ")) {
                                        acked.set(Integer.parseInt(line.substring(10).trim()));
                                    }
                                }
                            } catch (IOException e) {
                                // the child was killed
                            }
                        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
