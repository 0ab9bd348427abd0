package org.vlalign.cli.web;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.VlModel;

/**
 * A web test class with a {@link TinyDemo} of its own, started before its first test and closed after its
 * last; the subclass says how to start it ({@link #startDemo}) and its tests use the fields.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class AbstractTinyDemoTest {
    /** The class's temporary folder, which holds the demo's checkpoints and images. */
    Path tmp;

    /** What the demo logged (indexing progress, server messages). */
    final StringWriter serverLog = new StringWriter();

    TinyDemo fixture;
    VlModel llava;
    VlModel clip;
    Path images;
    WebDemo demo;
    WebClient client;

    /**
     * Starts this class's demo, usually through {@link TinyDemo#start}.
     *
     * @param dir the class's temporary folder
     * @param log where the demo must log, so that {@link #serverLog} holds it
     * @return the running fixture
     */
    abstract TinyDemo startDemo(Path dir, PrintWriter log);

    @BeforeAll
    final void start(@TempDir Path dir) {
        tmp = dir;
        fixture = startDemo(tmp, new PrintWriter(serverLog, true));
        llava = fixture.llava();
        clip = fixture.clip();
        images = fixture.images();
        demo = fixture.demo();
        client = new WebClient(demo.uri());
    }

    @AfterAll
    final void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }
}
