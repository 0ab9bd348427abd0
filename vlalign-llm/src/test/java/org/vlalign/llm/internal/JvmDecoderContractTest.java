package org.vlalign.llm.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.vlalign.WeightFormat;
import org.vlalign.core.generate.AbstractDecoderContractTest;
import org.vlalign.llm.Llama;
import org.vlalign.llm.LlmOptions;
import org.vlalign.spi.Decoder;
import org.vlalign.testing.TinyLlama;

/**
 * The decoder contract (batching, caching, reordering, embeddings) on the JVM engine, once per weight
 * format: each subclass names its format. Models are loaded once per test class.
 */
abstract class JvmDecoderContractTest extends AbstractDecoderContractTest {
    private static final Map<WeightFormat, Llama> MODELS = new EnumMap<>(WeightFormat.class);

    /**
     * The weight format under test.
     *
     * @return the format
     */
    protected abstract WeightFormat format();

    @Override
    protected Decoder newDecoder() {
        return model().newDecoder();
    }

    @Override
    protected int embeddingWidth() {
        return model().hiddenSize();
    }

    private Llama model() {
        synchronized (MODELS) {
            return MODELS.computeIfAbsent(format(), f -> {
                try {
                    Path dir = Files.createTempDirectory("jvm-llama-" + f);
                    TinyLlama.builder().kvHeads(2).maxPos(256).write(dir);
                    return Llama.load(dir, new LlmOptions(f, 2));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    @AfterAll
    static void closeModels() {
        synchronized (MODELS) {
            MODELS.values().forEach(Llama::close);
            MODELS.clear();
        }
    }
}
