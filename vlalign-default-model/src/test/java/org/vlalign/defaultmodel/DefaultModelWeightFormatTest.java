package org.vlalign.defaultmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vlalign.GenerationConfig;
import org.vlalign.LoadOptions;
import org.vlalign.VlModel;
import org.vlalign.WeightFormat;
import org.vlalign.model.world.WorldEvaluation;

/**
 * The shipped model with 8-bit language-model weights scores within 0.01 exact match of fp32 on fresh scenes
 * (the weight-format issue's bar); search does not involve the language model and is unchanged.
 */
class DefaultModelWeightFormatTest {
    private static final int SCENES = 60;
    private static final long WORLD_SEED = 20_261_201L;

    private static WorldEvaluation.Result evaluate(WeightFormat format) {
        try (VlModel model = VlModel.load(DefaultModel.folder(), LoadOptions.builder().weights(format).build())) {
            return WorldEvaluation.evaluate(model, WORLD_SEED, SCENES,
                    GenerationConfig.builder().maxNewTokens(48).build(), n -> {});
        }
    }

    @Test
    void should_score_within_one_hundredth_of_fp32_with_q8_weights() {
        WorldEvaluation.Result fp32 = evaluate(WeightFormat.FP32);
        WorldEvaluation.Result q8 = evaluate(WeightFormat.Q8);
        String report = "fp32 " + fp32.summaryLine() + " " + fp32.perType() + "\nq8   " + q8.summaryLine() + " "
                + q8.perType();
        System.out.println(report);
        assertTrue(Math.abs(fp32.exactMatch() - q8.exactMatch()) <= 0.01, report);
        assertEquals(fp32.recall1(), q8.recall1(), 0.0, report);
    }
}
