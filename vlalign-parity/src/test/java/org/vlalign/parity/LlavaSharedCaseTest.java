package org.vlalign.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.DecodingStrategy;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.LanguageModel;
import org.vlalign.LoadOptions;
import org.vlalign.Prompt;
import org.vlalign.core.image.ImagePreprocessor;
import org.vlalign.core.image.PixelValues;
import org.vlalign.spi.DecoderInput;
import org.vlalign.torch.internal.llava.LlavaImageTokens;
import org.vlalign.torch.internal.llava.LlavaModels;
import org.vlalign.torch.internal.llava.LlavaParts;

/** Checks on the shared {@code llava} and {@code clip} cases beyond their expected tensors. */
class LlavaSharedCaseTest {

    private static Path caseDir(String name) {
        String dir = System.getProperty("vlalign.parity.dir");
        Assumptions.assumeTrue(dir != null, "vlalign.parity.dir not set");
        Path p = Path.of(dir, name);
        Assumptions.assumeTrue(Files.isRegularFile(p.resolve("case.json")), "no case " + p);
        return p;
    }

    @Test
    void should_generate_the_same_new_tokens_from_legacy_single_image_token_prompts() {
        Path dir = caseDir("llava");
        try (ParityCase c = ParityCase.open(dir);
                LlavaParts llava = LlavaModels.load(c.model());
                NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray pixels = m.create(c.floats("pixel_values"), new Shape(c.shape("pixel_values")));
            NDArray projected = llava.adaptor().forward(llava.featureExtractor().selectFeatures(pixels));
            long[] s = projected.getShape().getShape();
            float[] all = projected.toFloatArray();
            long[][] legacy = c.matrix("legacy_input_ids");
            long[][] expected = c.matrix("generate_unpadded_ids");
            int promptLength = c.matrix("input_ids")[0].length;
            int maxNew = expected[0].length - promptLength;
            List<DecoderInput> rows = new ArrayList<>();
            for (int b = 0; b < legacy.length; b++) {
                int per = (int) (s[1] * s[2]);
                Features image = Features.of(Arrays.copyOfRange(all, b * per, (b + 1) * per), (int) s[1], (int) s[2]);
                rows.add(llava.imageTokens().toDecoderInput(legacy[b], List.of(image)));
            }
            GenerationConfig greedy = GenerationConfig.builder()
                    .strategy(new DecodingStrategy.Greedy())
                    .maxNewTokens(maxNew)
                    .build();
            List<Prompt> prompts = new ArrayList<>();
            for (DecoderInput row : rows) {
                prompts.add(asPrompt(row));
            }
            // the same prompts through libtorch's Llama and through the JVM engine in fp32
            try (LlavaParts jvm = LlavaModels.load(c.model(), LoadOptions.DEFAULT)) {
                for (LanguageModel lm : List.of(llava.languageModel(), jvm.languageModel())) {
                    List<Answer> answers = lm.generateBatch(prompts, greedy);
                    for (int b = 0; b < legacy.length; b++) {
                        long[] want = Arrays.copyOfRange(expected[b], promptLength, expected[b].length);
                        assertEquals(rows.get(b).length(), promptLength, "legacy prompt expands to the expanded length");
                        assertArrayEquals(want, Arrays.stream(answers.get(b).tokenIds()).asLongStream().toArray(),
                                lm + " row " + b);
                    }
                }
            }
        }
    }

    /** The prompt with the same tokens and embedding rows as a decoder input. */
    private static Prompt asPrompt(DecoderInput row) {
        Prompt.Builder p = Prompt.builder();
        for (DecoderInput.Part part : row.parts()) {
            if (part instanceof DecoderInput.Tokens t) {
                p.tokens(t.ids());
            } else {
                p.embeddings(((DecoderInput.Embeddings) part).features());
            }
        }
        return p.build();
    }

    @Test
    void should_preprocess_the_case_images_to_the_given_pixel_values() {
        for (String name : List.of("llava", "clip")) {
            Path dir = caseDir(name);
            ImagePreprocessor pre = ImagePreprocessor.fromFile(dir.resolve("preprocessor_config.json"));
            try (ParityCase c = ParityCase.open(dir)) {
                float[] expected = c.floats("pixel_values");
                long[] shape = c.shape("pixel_values");
                int per = (int) (shape[1] * shape[2] * shape[3]);
                for (int i = 0; i < shape[0]; i++) {
                    PixelValues p = pre.preprocess(ImageInput.of(dir.resolve("image" + i + ".png")));
                    float[] got = p.data();
                    double max = 0;
                    for (int k = 0; k < per; k++) {
                        max = Math.max(max, Math.abs(got[k] - expected[i * per + k]));
                    }
                    // Pillow-exact resize: any difference is float rounding of the normalisation.
                    assertTrue(max < 1e-5, name + " image" + i + " max diff " + max);
                }
            }
        }
    }
}
