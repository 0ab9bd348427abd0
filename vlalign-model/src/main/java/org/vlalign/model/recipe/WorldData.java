package org.vlalign.model.recipe;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.model.world.QaPair;
import org.vlalign.model.world.Scene;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;
import org.vlalign.train.ContextAnswer;

/**
 * The recipe's in-memory views of a {@link World}: images with captions for the contrastive stage, and
 * the text corpus (captions, questions with answers, descriptions) for language-model pre-training.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class WorldData {
    /** Hard negatives kept per scene (each changes one detail of the located caption). */
    static final int HARD_NEGATIVES = 4;

    private WorldData() {}

    /**
     * Renders scenes {@code first..first+n-1} of a split with all their captions, and {@value #HARD_NEGATIVES}
     * hard negatives of the located caption for image–text matching.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @return one entry per scene, in index order
     */
    public static List<ImageCaptions> imageCaptions(World world, Split split, long first, int n) {
        return IntStream.range(0, n).parallel()
                .mapToObj(i -> {
                    Scene scene = world.sample(split, first + i);
                    List<String> captions = world.captions(scene);
                    List<String> negatives = new ArrayList<>();
                    for (long d = 0; d < HARD_NEGATIVES; d++) {
                        negatives.add(world.hardNegative(scene, d));
                    }
                    return new ImageCaptions(ImageInput.of(world.render(scene)), captions, negatives,
                            captions.indexOf(world.locatedCaption(scene)));
                })
                .toList();
    }

    /**
     * The language-model corpus of scenes {@code first..first+n-1}: per scene every caption, the
     * description, and each question with its answer after the scene's description ({@code "description
     * question answer"}).
     *
     * <p>Questions come after the description, never alone, so the pre-trained model learns to answer from
     * what precedes the question rather than from the question's prior: that is the skill a frozen language
     * model needs for the adaptor's image prefix to steer it (a large pre-trained LM has it from its corpus).
     * Trained on bare {@code "question answer"} lines, the adaptor stages left colour answers at chance.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @return the texts, scene by scene
     */
    public static List<String> corpus(World world, Split split, long first, int n) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Scene scene = world.sample(split, first + i);
            texts.addAll(world.captions(scene));
            String description = world.description(scene);
            texts.add(description);
            for (QaPair qa : world.questions(scene)) {
                texts.add(description + " " + qa.question() + " " + qa.answer());
            }
        }
        return texts;
    }

    /**
     * The language-model corpus of {@link #corpus} as context and answer: captions and the description are
     * all context; each question is {@code "description question"} context with its answer.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @return the texts, scene by scene
     * @since 0.2.0
     */
    public static List<ContextAnswer> weightedCorpus(World world, Split split, long first, int n) {
        return weightedCorpus(world, split, first, n, 1);
    }

    /**
     * The corpus of {@link #weightedCorpus(World, Split, long, int)} with a scene's questions asked in turns
     * after one description: each text is {@code "description question"} and its answer followed by up to
     * {@code turns - 1} more questions and answers about the same scene (in an order drawn from the scene's
     * index), so every question is still asked once and each pass over a description trains several answers.
     *
     * @param world the world
     * @param split the split
     * @param first the first scene index
     * @param n the number of scenes
     * @param turns questions per text, at least 1 (1 gives one text per question)
     * @return the texts, scene by scene
     * @throws InvalidArgumentException if {@code turns < 1}
     * @since 0.2.0
     */
    public static List<ContextAnswer> weightedCorpus(World world, Split split, long first, int n, int turns) {
        if (turns < 1) {
            throw new InvalidArgumentException("turns must be at least 1 but was " + turns);
        }
        List<ContextAnswer> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Scene scene = world.sample(split, first + i);
            world.captions(scene).forEach(c -> texts.add(ContextAnswer.contextOnly(c)));
            String description = world.description(scene);
            texts.add(ContextAnswer.contextOnly(description));
            List<QaPair> questions = new ArrayList<>(world.questions(scene));
            if (turns > 1) {
                Collections.shuffle(questions, new Random(first + i)); // Random and shuffle are specified: stable
            }
            for (int from = 0; from < questions.size(); from += turns) {
                List<QaPair> group = questions.subList(from, Math.min(questions.size(), from + turns));
                List<ContextAnswer> followUps = new ArrayList<>();
                for (QaPair qa : group.subList(1, group.size())) {
                    followUps.add(new ContextAnswer(qa.question(), qa.answer()));
                }
                QaPair head = group.get(0);
                texts.add(new ContextAnswer(description + " " + head.question(), head.answer(), followUps));
            }
        }
        return texts;
    }
}
