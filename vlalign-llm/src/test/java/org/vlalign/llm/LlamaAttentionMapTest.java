package org.vlalign.llm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.AttentionMap;
import org.vlalign.DecodingStrategy;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.WeightFormat;
import org.vlalign.llm.internal.LlamaSession;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.TinyLlama;

/**
 * {@link Llama#generate} with {@code attentionMap} returns, over the prompt's image positions, the
 * normalised attention a session records for the same tokens, one map per generated token; the answer is the
 * one generated without the option; prompts without exactly one image and multi-sequence configs are refused.
 */
class LlamaAttentionMapTest {
    private static final int HIDDEN = 32;
    private static final int ROWS = 20;
    @TempDir
    static Path dir;
    private static Llama lm;

    @BeforeAll
    static void load() {
        TinyLlama.builder().kvHeads(2).maxPos(128).write(dir);
        lm = Llama.load(dir, new LlmOptions(WeightFormat.FP32, 2));
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private static Features image() {
        SplittableRandom r = new SplittableRandom(7);
        float[] data = new float[ROWS * HIDDEN];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        return Features.of(data, ROWS, HIDDEN);
    }

    private static GenerationConfig config(boolean map) {
        return GenerationConfig.builder().maxNewTokens(6).minNewTokens(6).attentionMap(map).build();
    }

    @Test
    void should_return_the_normalised_recorded_attention_of_each_generated_token() {
        Prompt prompt = Prompt.builder().bos().tokens(4, 5).embeddings(image()).tokens(6, 7).build();
        Answer plain = lm.generate(prompt, config(false));
        Answer mapped = lm.generate(prompt, config(true));
        assertTrue(plain.attentionMap().isEmpty(), "no map unless asked");
        assertArrayEquals(plain.tokenIds(), mapped.tokenIds(), "recording must not change the answer");
        AttentionMap map = mapped.attentionMap().orElseThrow();
        assertEquals(ROWS, map.gridWidth());
        assertEquals(1, map.gridHeight());
        assertEquals(6, map.tokens());

        int[] ids = mapped.tokenIds();
        float[][] recorded;
        try (LlamaSession s = (LlamaSession) lm.newDecoder()) {
            s.recordAttention(3, 3 + ROWS); // BOS and two tokens come first
            s.prefill(List.of(lm.toDecoderInput(prompt)));
            for (int i = 0; i + 1 < ids.length; i++) {
                s.step(new int[] {ids[i]});
            }
            recorded = s.attention();
        }
        float[] mean = new float[ROWS];
        for (int t = 0; t < 6; t++) {
            double sum = 0;
            for (float v : recorded[t]) {
                sum += v;
            }
            float[] got = map.tokenWeights(t);
            for (int k = 0; k < ROWS; k++) {
                assertEquals(recorded[t][k] / sum, got[k], 1e-6, "token " + t + ", position " + k);
                mean[k] += (float) (recorded[t][k] / sum / 6);
            }
        }
        assertArrayEquals(mean, map.weights(), 1e-6f);
    }

    @Test
    void should_refuse_a_prompt_without_exactly_one_image() {
        assertThrows(InvalidArgumentException.class,
                () -> lm.generate(Prompt.builder().bos().tokens(4, 5).build(), config(true)));
        assertThrows(InvalidArgumentException.class, () -> lm.generate(
                Prompt.builder().bos().embeddings(image()).tokens(4).embeddings(image()).build(), config(true)));
    }

    @Test
    void should_refuse_configs_with_several_sequences() {
        assertThrows(InvalidArgumentException.class, () -> GenerationConfig.builder()
                .strategy(DecodingStrategy.Beam.of(2)).attentionMap(true).build());
    }

    @Test
    void should_map_each_prompt_of_a_batch_as_alone() {
        Prompt a = Prompt.builder().bos().embeddings(image()).tokens(6).build();
        Prompt b = Prompt.builder().bos().tokens(9).embeddings(image()).tokens(6, 8).build();
        List<Answer> batch = lm.generateBatch(List.of(a, b), config(true));
        assertEquals(lm.generate(a, config(true)), batch.get(0));
        assertEquals(lm.generate(b, config(true)), batch.get(1));
    }
}
