package org.vlalign.torch.internal.llama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.vlalign.testing.TinyLlama;

/**
 * A tiny random Llama ({@link TinyLlama} with two key-value heads) written to a temporary folder and loaded
 * once for a test class; closed after the class's tests, then the folder is deleted. Register it on a static
 * field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final TinyLlamaFixture<LlamaModel> MODEL = TinyLlamaFixture.model(512);
 * }</pre>
 *
 * <p>Used by one JUnit thread.
 *
 * @param <T> what the tests load from the folder
 */
final class TinyLlamaFixture<T extends AutoCloseable> implements BeforeAllCallback, AfterAllCallback {
    private final int maxPos;
    private final Function<Path, T> loader;
    private Path folder;
    private T loaded;

    private TinyLlamaFixture(int maxPos, Function<Path, T> loader) {
        this.maxPos = maxPos;
        this.loader = loader;
    }

    /**
     * The model alone, for the decoder tests.
     *
     * @param maxPos {@code max_position_embeddings}
     * @return the fixture
     */
    static TinyLlamaFixture<LlamaModel> model(int maxPos) {
        return new TinyLlamaFixture<>(maxPos, LlamaModelTest::load);
    }

    /**
     * The language model, with its tokenizer.
     *
     * @param maxPos {@code max_position_embeddings}
     * @return the fixture
     */
    static TinyLlamaFixture<LlamaLanguageModel> languageModel(int maxPos) {
        return new TinyLlamaFixture<>(maxPos, LlamaLanguageModel::load);
    }

    /**
     * What was loaded.
     *
     * @return the model, open during the class's tests
     */
    T get() {
        return loaded;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        folder = Files.createTempDirectory("tiny-llama");
        loaded = loader.apply(TinyLlama.builder().kvHeads(2).maxPos(maxPos).write(folder.resolve("m")));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (loaded != null) {
                loaded.close();
            }
        } finally {
            try (Stream<Path> files = Files.walk(folder)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
