package org.vlalign.cli.web;

import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.vlalign.VlModel;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyClip;
import org.vlalign.testing.TinyLlava;

/**
 * The web tests' shared server: a tiny random LLaVA model that chats, a tiny random CLIP model that searches, a
 * folder of generated images, and the demo started over them on a free loopback port.
 *
 * <p>Each test class configures the builder (its name, upload limit, log) and owns one instance from
 * {@code @BeforeAll} to {@code @AfterAll}; {@link #close()} stops the demo and then closes both models.
 *
 * @param llava the chat model, from the seed
 * @param clip the search model, from the seed plus one
 * @param images the folder of generated images the demo indexed
 * @param demo the running demo
 */
record TinyDemo(VlModel llava, VlModel clip, Path images, WebDemo demo) implements AutoCloseable {

    /**
     * Writes the two checkpoints and the images under {@code dir} and starts the demo.
     *
     * @param dir a temporary folder the test owns
     * @param seed the LLaVA checkpoint's seed; the CLIP one uses {@code seed + 1}
     * @param imageCount how many images the folder holds
     * @param configure what the test class sets on the builder beyond the models, images and port
     * @return the running fixture; close it
     */
    static TinyDemo start(Path dir, long seed, int imageCount, UnaryOperator<WebDemo.Builder> configure) {
        VlModel llava = VlModel.load(TinyLlava.compact().seed(seed).write(dir.resolve("llava")));
        VlModel clip = null;
        try {
            clip = VlModel.load(TinyClip.compact().seed(seed + 1).write(dir.resolve("clip")));
            Path images = TestImages.writePngs(dir.resolve("photos"), imageCount);
            WebDemo demo = configure.apply(WebDemo.builder(llava).searchModel(clip).images(images).port(0)).start();
            return new TinyDemo(llava, clip, images, demo);
        } catch (RuntimeException | Error e) {
            llava.close();
            if (clip != null) {
                clip.close();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        try (VlModel l = llava; VlModel c = clip) {
            demo.close();
        }
    }
}
