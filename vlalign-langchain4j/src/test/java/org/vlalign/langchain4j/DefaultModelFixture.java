package org.vlalign.langchain4j;

import dev.langchain4j.data.message.ImageContent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.vlalign.VlModel;
import org.vlalign.defaultmodel.DefaultModel;

/** The embedded default model, loaded once per test JVM and shared (it is thread-safe), and its images. */
final class DefaultModelFixture {
    private static VlModel model;

    private DefaultModelFixture() {}

    static synchronized VlModel model() {
        if (model == null) {
            model = DefaultModel.load();
            Runtime.getRuntime().addShutdownHook(new Thread(model::close));
        }
        return model;
    }

    static Path sample(int i) {
        return DefaultModel.sampleImages().get(i);
    }

    /** A sample image as inline base64 content, the way a host application usually sends one. */
    static ImageContent inline(int i) {
        try {
            return ImageContent.from(Base64.getEncoder().encodeToString(Files.readAllBytes(sample(i))), "image/png");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
