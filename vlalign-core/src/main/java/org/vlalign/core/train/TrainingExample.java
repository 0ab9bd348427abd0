package org.vlalign.core.train;

import java.nio.file.Path;
import java.util.List;
import org.vlalign.InvalidArgumentException;

/**
 * One training or evaluation item: an image, a query (empty for caption alignment), the target answer,
 * an optional type (such as {@code vqa}, {@code relation}, {@code caption} or a VQA question type), and
 * optional further accepted answers (VQA's human answers) used only by evaluation.
 *
 * <p>Immutable and thread-safe.
 *
 * @param image the image file
 * @param query the question; empty for alignment
 * @param answer the target text the model learns to produce
 * @param type the item's type, empty if none
 * @param answers the accepted answers for evaluation; when empty, {@code answer} alone is accepted
 * @since 0.1.0
 */
public record TrainingExample(Path image, String query, String answer, String type, List<String> answers) {

    /** Validates and copies. */
    public TrainingExample {
        if (image == null || query == null || answer == null || type == null || answers == null) {
            throw new InvalidArgumentException("image, query, answer, type and answers must not be null (image "
                    + image + ")");
        }
        answers = List.copyOf(answers);
    }

    /**
     * An image–caption pair for the alignment stage (empty query, type {@code caption}).
     *
     * @param image the image file
     * @param caption the caption
     * @return the example
     */
    public static TrainingExample caption(Path image, String caption) {
        return new TrainingExample(image, "", caption, "caption", List.of());
    }

    /**
     * An (image, query, answer) triple.
     *
     * @param image the image file
     * @param query the question
     * @param answer the answer
     * @param type the type, or empty
     * @return the example
     */
    public static TrainingExample of(Path image, String query, String answer, String type) {
        return new TrainingExample(image, query, answer, type, List.of());
    }

    /**
     * The answers evaluation accepts: {@link #answers()} if given, else {@link #answer()}.
     *
     * @return at least one answer
     */
    public List<String> references() {
        return answers.isEmpty() ? List.of(answer) : answers;
    }
}
