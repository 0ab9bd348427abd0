package org.vlalign.samples.quickstart;

import java.nio.file.Path;
import java.util.Map;
import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.SearchHit;
import org.vlalign.VlModel;

/**
 * The quickstart the README shows: load a checkpoint, ask about an image with the answer streaming, then
 * index the image and search for it by text.
 *
 * <p>Run: {@code java -cp "$(cat cp.txt)" org.vlalign.samples.quickstart.Quickstart
 * CHECKPOINT IMAGE QUESTION}. Searching needs a checkpoint with search projections (BLIP-2 retrieval,
 * CLIP); other models answer and then say that they cannot search. Stateless; safe to run from any thread.
 *
 * @since 0.1.0
 */
public final class Quickstart {
    private Quickstart() {}

    /**
     * Runs the quickstart.
     *
     * @param args checkpoint folder, image file, question
     */
    public static void main(String[] args) {
        try (VlModel model = VlModel.load(Path.of(args[0]))) {
            ImageInput image = ImageInput.of(Path.of(args[1]));

            // Ask, printing the answer as it streams.
            Answer answer = model.ask(image, args[2], GenerationConfig.DEFAULT, System.out::print);
            System.out.printf("%n[%s, %d tokens, %d ms]%n",
                    answer.finishReason(), answer.generatedTokens(), answer.timings().total().toMillis());

            // Index the image in the model's in-memory index, then search it by text.
            model.index(args[1], image, Map.of("source", args[1]));
            for (SearchHit hit : model.search(args[2], 5)) {
                System.out.printf("%.3f  %s%n", hit.score(), hit.id());
            }
        }
    }
}
