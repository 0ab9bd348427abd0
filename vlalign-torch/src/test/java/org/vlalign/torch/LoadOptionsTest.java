package org.vlalign.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.LoadOptions;
import org.vlalign.VlModel;
import org.vlalign.WeightFormat;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;

/**
 * Models load their language model on the JVM engine in the format the options ask for, or trainable on
 * libtorch; the JVM engine in fp32 answers exactly as libtorch does, and every format answers.
 */
class LoadOptionsTest {
    @TempDir Path tmp;

    private static final GenerationConfig GREEDY = GenerationConfig.DEFAULT.toBuilder().maxNewTokens(8).build();

    @Test
    void should_answer_alike_on_the_jvm_engine_and_libtorch_and_in_every_weight_format() {
        Path dir = TinyBlip.write(tmp.resolve("ib"), Kind.INSTRUCTBLIP, 21, 2);
        List<ImageInput> images = List.of(TestImages.gradient(7, 30, 22), TestImages.gradient(9, 20, 26));
        String query = "what color is the car ?";
        int[][] reference = new int[images.size()][];
        try (VlModel torch = TorchModels.load(dir, LoadOptions.builder().trainable(true).build())) {
            assertTrue(torch.languageModel().getClass().getName().contains(".torch."), torch.languageModel().toString());
            for (int i = 0; i < images.size(); i++) {
                reference[i] = torch.ask(images.get(i), query, GREEDY).tokenIds();
            }
        }
        for (WeightFormat f : WeightFormat.values()) {
            try (VlModel jvm = VlModel.load(dir, LoadOptions.builder().weights(f).threads(2).build())) {
                String lm = jvm.languageModel().toString();
                String expected = f == WeightFormat.AUTO ? "FP32" : f.name();
                assertTrue(lm.contains(", " + expected + ","), f + ": " + lm);
                for (int i = 0; i < images.size(); i++) {
                    Answer a = jvm.ask(images.get(i), query, GREEDY);
                    assertTrue(a.tokenIds().length > 0, f + " image " + i);
                    if (f == WeightFormat.FP32 || f == WeightFormat.AUTO) {
                        assertArrayEquals(reference[i], a.tokenIds(), f + " image " + i + " vs libtorch");
                    }
                }
            }
        }
    }

    @Test
    void should_refuse_contradicting_options() {
        assertThrows(InvalidArgumentException.class,
                () -> LoadOptions.builder().trainable(true).weights(WeightFormat.Q8).build());
        assertThrows(InvalidArgumentException.class,
                () -> LoadOptions.builder().trainable(true).lora(Path.of("adapter")).build());
        assertThrows(InvalidArgumentException.class, () -> LoadOptions.builder().threads(-1).build());
        assertEquals(LoadOptions.DEFAULT, LoadOptions.builder().build());
    }
}
