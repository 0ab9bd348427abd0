package org.vlalign.model.recipe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vlalign.GenerationConfig;
import org.vlalign.LanguageModel;
import org.vlalign.Prompt;
import org.vlalign.core.metrics.ExactMatch;
import org.vlalign.model.world.QaPair;
import org.vlalign.model.world.QaType;
import org.vlalign.model.world.Scene;
import org.vlalign.model.world.Split;
import org.vlalign.model.world.World;

/**
 * The recipe's gate on the pre-trained language model: given a held-out scene's gold description and a
 * question, in its pre-training format ({@code <s> description question}), does it answer? Greedy answers are
 * scored by exact match per attribute type (colour, shape, count, position, existence); the gate asks
 * {@value #GATE} of each. A language model that cannot read the answer from a description in its context
 * cannot be taught by an adaptor to read it from image embeddings.
 *
 * <p>Stateless and thread-safe if the language model is.
 *
 * @since 0.2.0
 */
public final class ReadingGate {
    /** The exact match every attribute type must reach. */
    public static final double GATE = 0.95;
    /** The attribute types the gate checks. */
    public static final Set<QaType> TYPES =
            Set.of(QaType.COLOUR, QaType.SHAPE, QaType.COUNT, QaType.POSITION, QaType.EXISTENCE);

    private static final int BATCH = 16;
    private static final int MAX_NEW_TOKENS = 6;

    private ReadingGate() {}

    /**
     * Measures the gate.
     *
     * @param languageModel the pre-trained language model (with a tokenizer)
     * @param world the world
     * @param scenes held-out scenes to ask about
     * @return per type the exact match, plus {@code passed}
     */
    public static Map<String, Object> measure(LanguageModel languageModel, World world, int scenes) {
        List<Prompt> prompts = new ArrayList<>();
        List<QaPair> questions = new ArrayList<>();
        for (int i = 0; i < scenes; i++) {
            Scene scene = world.sample(Split.TEST, i);
            String description = world.description(scene);
            for (QaPair qa : world.questions(scene)) {
                if (TYPES.contains(qa.type())) {
                    prompts.add(Prompt.of(new Prompt.Segment.Bos(),
                            new Prompt.Segment.Text(description + " " + qa.question())));
                    questions.add(qa);
                }
            }
        }
        GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(MAX_NEW_TOKENS).build();
        Map<String, double[]> sums = new LinkedHashMap<>();
        for (int from = 0; from < prompts.size(); from += BATCH) {
            int to = Math.min(prompts.size(), from + BATCH);
            List<org.vlalign.Answer> answers = languageModel.generateBatch(prompts.subList(from, to), greedy);
            for (int i = from; i < to; i++) {
                QaPair qa = questions.get(i);
                double[] s = sums.computeIfAbsent(qa.type().label(), k -> new double[2]);
                s[0] += ExactMatch.score(answers.get(i - from).text().strip(), List.of(qa.answer()));
                s[1]++;
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        boolean passed = !sums.isEmpty();
        for (Map.Entry<String, double[]> e : sums.entrySet()) {
            double acc = e.getValue()[0] / e.getValue()[1];
            out.put(e.getKey(), acc);
            passed &= acc >= GATE;
        }
        out.put("questions", questions.size());
        out.put("gate", GATE);
        out.put("passed", passed);
        return out;
    }
}
