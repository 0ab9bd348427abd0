package org.vlalign.core.contract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The life of the one object a contract suite tests: created once before the tests, so an expensive model
 * loads once, and closed after them; then its temporary {@link #folder()} is deleted.
 *
 * <p>The base of the contract suites whose subject is closeable (extractors, adaptors, language models,
 * vision-language models). Instances are used by one JUnit thread.
 *
 * @param <T> the interface under test
 * @since 0.3.0
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class AbstractSharedSubjectTest<T extends AutoCloseable> {

    private Path folder;

    private T subject;

    /**
     * Creates the subject; the suites name it after the interface ({@code newExtractor()}, ...).
     *
     * @return the subject, closed by the suite
     */
    abstract T createSubject();

    /**
     * A temporary folder for the files the subject is created from (a tiny checkpoint, say); it outlives the
     * subject and is deleted after it is closed.
     *
     * @return the folder, one per test class, created on first use
     */
    protected final Path folder() {
        if (folder == null) {
            try {
                folder = Files.createTempDirectory("vlalign-contract");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return folder;
    }

    /**
     * The subject under test.
     *
     * @return the shared subject
     */
    final T subject() {
        return subject;
    }

    @BeforeAll
    final void createSharedSubject() {
        subject = createSubject();
    }

    @AfterAll
    final void closeSharedSubject() throws Exception {
        try {
            if (subject != null) {
                subject.close();
            }
        } finally {
            if (folder != null) {
                try (Stream<Path> files = Files.walk(folder)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
