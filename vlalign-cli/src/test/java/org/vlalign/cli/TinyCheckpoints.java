package org.vlalign.cli;

import java.nio.file.Path;
import org.vlalign.testing.TinyClip;
import org.vlalign.testing.TinyLlama;
import org.vlalign.testing.TinyLlava;

/**
 * The tiny random checkpoints the {@code train} and {@code eval} tests run on: a CLIP feature extractor and a
 * chat Llama given as separate parts ({@code --vision}, {@code --lm}), and a composed LLaVA ({@code --model}).
 *
 * @param clip the CLIP folder, from the seed
 * @param llama the Llama folder, from the seed plus one
 * @param llava the LLaVA folder, from the seed plus two
 */
record TinyCheckpoints(Path clip, Path llama, Path llava) {

    /**
     * Writes the three checkpoints into sub-folders {@code clip}, {@code llama} and {@code llava}.
     *
     * @param dir the folder, usually the test class's shared temporary folder
     * @param seed the first checkpoint's seed
     * @return the folders
     */
    static TinyCheckpoints write(Path dir, long seed) {
        return new TinyCheckpoints(
                TinyClip.compact().seed(seed).write(dir.resolve("clip")),
                TinyLlama.chat().seed(seed + 1).write(dir.resolve("llama")),
                TinyLlava.compact().seed(seed + 2).write(dir.resolve("llava")));
    }
}
