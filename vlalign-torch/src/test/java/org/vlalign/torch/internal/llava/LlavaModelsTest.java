package org.vlalign.torch.internal.llava;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.CheckpointException;
import org.vlalign.DecodingStrategy;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.LoadOptions;
import org.vlalign.Prompt;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;
import org.vlalign.WeightFormat;
import org.vlalign.core.ComposedVlModel;
import org.vlalign.core.contract.ContractSupport;
import org.vlalign.core.generate.GenerationResult;
import org.vlalign.spi.DecoderInput;
import org.vlalign.testing.TinyClip;
import org.vlalign.torch.internal.clip.ClipFeatureExtractor;
import org.vlalign.testing.TinyLlava;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LlavaModelsTest {
    @TempDir
    static Path tmp;

    private static final GenerationConfig GREEDY = GenerationConfig.builder()
            .strategy(new DecodingStrategy.Greedy())
            .maxNewTokens(8)
            .build();

    private Path dir;
    private LlavaParts parts;

    @BeforeAll
    void load() {
        dir = TinyLlava.write(tmp.resolve("llava"), 21);
        parts = LlavaModels.load(dir);
    }

    @AfterAll
    void close() {
        parts.close();
    }

    private static ImageInput image(Color a, Color b) {
        return ContractSupport.pngImage(45, 60, a, b, Color.WHITE);
    }

    @Test
    void should_load_the_parts_with_the_config_values() {
        assertEquals(TinyLlava.IMAGE_TOKEN, parts.imageTokenIndex());
        assertEquals(16, parts.imageSeqLength());
        assertEquals(TinyLlava.VISION_HIDDEN, parts.adaptor().inputDim());
        assertEquals(TinyLlava.TEXT_HIDDEN, parts.adaptor().outputDim());
        assertEquals(TinyLlava.TEXT_HIDDEN, parts.languageModel().hiddenSize());
        // vision_feature_layer -2 of 3 layers: hidden state 2, so only 2 layers are loaded.
        assertEquals(2, parts.featureExtractor().featureLayer());
        assertEquals(2, parts.featureExtractor().visionModel().loadedLayers());
        Features f = parts.featureExtractor().extract(image(Color.RED, Color.BLUE));
        assertArrayEquals(new int[] {16, TinyLlava.VISION_HIDDEN}, f.shape());
        assertThrows(UnsupportedModelException.class, () -> parts.featureExtractor().embedText("a dog"));
    }

    @Test
    void should_answer_through_ComposedVlModel_as_the_lower_level_pipeline_does() {
        ImageInput img = image(Color.RED, Color.BLUE);
        String query = "what is in this image ?";
        try (ComposedVlModel model = ComposedVlModel.builder()
                .featureExtractor(parts.featureExtractor())
                .adaptor(parts.adaptor())
                .promptWrapper(parts.promptWrapper())
                .languageModel(parts.languageModel())
                .ownsParts(false)
                .build()) {
            Answer first = model.ask(img, query, GREEDY);
            Answer second = model.ask(img, query, GREEDY);
            assertFalse(first.tokenIds().length == 0, "an answer was generated");
            assertArrayEquals(first.tokenIds(), second.tokenIds(), "deterministic");
            assertEquals(first.text(), second.text());

            // The same steps by hand: extract, adapt, wrap, generate.
            Features embeddings = parts.adaptor().adapt(parts.featureExtractor().extract(img));
            Prompt prompt = parts.promptWrapper().wrap(embeddings, query);
            Answer manual = parts.languageModel().generate(prompt, GREEDY);
            assertArrayEquals(manual.tokenIds(), first.tokenIds(), "composed vs manual");
            assertEquals(manual.text(), first.text());
            assertEquals(1 + 2 + 16 + 6 + 2, first.promptTokens(),
                    "bos + 'user :' + 16 patches + 6 query tokens + 'assistant :'");

            // Another image gives another answer's logits path (the image is really used).
            Answer other = model.ask(image(Color.GREEN, Color.BLACK), query, GREEDY);
            Features otherEmbeddings = parts.adaptor().adapt(
                    parts.featureExtractor().extract(image(Color.GREEN, Color.BLACK)));
            assertNotEquals(embeddings, otherEmbeddings);
            assertArrayEquals(parts.languageModel().generate(
                    parts.promptWrapper().wrap(otherEmbeddings, query), GREEDY).tokenIds(), other.tokenIds());
        }
    }

    @Test
    void should_generate_the_same_from_raw_image_tokens_as_from_the_wrapped_prompt() {
        ImageInput img = image(Color.ORANGE, Color.BLUE);
        Features embeddings = parts.adaptor().adapt(parts.featureExtractor().extract(img));
        Answer viaWrapper = parts.languageModel().generate(parts.promptWrapper().wrap(embeddings, "describe"),
                GREEDY);

        // HF-style raw prompt: bos, "USER: ", <image> (legacy) or 16 × <image> (expanded), "\n... ASSISTANT:".
        List<Long> head = new ArrayList<>();
        head.add((long) TinyLlava.BOS);
        for (int id : parts.languageModel().encode("USER: ")) {
            head.add((long) id);
        }
        List<Long> tail = new ArrayList<>();
        for (int id : parts.languageModel().encode("\ndescribe ASSISTANT:")) {
            tail.add((long) id);
        }
        for (int copies : new int[] {1, 16}) {
            List<Long> ids = new ArrayList<>(head);
            for (int i = 0; i < copies; i++) {
                ids.add((long) parts.imageTokenIndex());
            }
            ids.addAll(tail);
            DecoderInput input = parts.imageTokens().toDecoderInput(
                    ids.stream().mapToLong(Long::longValue).toArray(), List.of(embeddings));
            assertEquals(viaWrapper.promptTokens(), input.length());
            GenerationResult result = parts.torchLanguageModel().run(List.of(input), GREEDY, null);
            assertArrayEquals(viaWrapper.tokenIds(), result.row(0).toAnswer(input.length(),
                    result.timings()).tokenIds(), copies + " image token(s)");
        }
    }

    @Test
    void should_keep_the_towers_projections_in_16_bits_when_the_language_model_is_not_fp32() {
        ImageInput img = image(Color.ORANGE, Color.CYAN);
        Features exact = parts.featureExtractor().extract(img);
        try (LlavaParts half = LlavaModels.load(dir, LoadOptions.builder().weights(WeightFormat.BF16).build())) {
            ClipFeatureExtractor tower = (ClipFeatureExtractor) half.featureExtractor();
            int kept16 = 0;
            for (var e : tower.parameters().asMap().entrySet()) {
                boolean projection = e.getKey().endsWith("proj.weight") || e.getKey().endsWith("fc1.weight")
                        || e.getKey().endsWith("fc2.weight");
                assertEquals(projection ? DataType.FLOAT16 : DataType.FLOAT32, e.getValue().getDataType(), e.getKey());
                kept16 += projection ? 1 : 0;
            }
            assertTrue(kept16 > 0);
            Features rounded = tower.extract(img);
            assertArrayEquals(exact.shape(), rounded.shape());
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < exact.data().length; i++) {
                diff += Math.pow(exact.data()[i] - rounded.data()[i], 2);
                norm += Math.pow(exact.data()[i], 2);
            }
            // fp16 weights round at 2^-11 relative; the features move by about that much, not more
            assertTrue(Math.sqrt(diff / norm) < 2e-3, "relative error " + Math.sqrt(diff / norm));
            assertNotEquals(0.0, diff, "the weights were rounded");
        }
        ClipFeatureExtractor fp32 = (ClipFeatureExtractor) parts.featureExtractor();
        fp32.parameters().asMap().values().forEach(v -> assertEquals(DataType.FLOAT32, v.getDataType()));
    }

    @Test
    void should_load_through_VlModel_load_and_answer_as_the_parts_do() {
        ImageInput img = image(Color.MAGENTA, Color.BLUE);
        String query = "describe the image";
        Features embeddings = parts.adaptor().adapt(parts.featureExtractor().extract(img));
        Answer viaParts = parts.languageModel().generate(parts.promptWrapper().wrap(embeddings, query), GREEDY);
        try (VlModel model = VlModel.load(dir)) {
            Answer viaModel = model.ask(img, query, GREEDY);
            assertArrayEquals(viaParts.tokenIds(), viaModel.tokenIds());
            assertEquals(viaParts.text(), viaModel.text());
            assertThrows(UnsupportedModelException.class, () -> model.search("a dog", 1));
        }
    }

    @Test
    void should_answer_a_batch_as_one_by_one() {
        List<ImageInput> images = List.of(image(Color.RED, Color.BLUE), image(Color.GREEN, Color.BLACK));
        List<String> queries = List.of("what colour is the patch ?", "describe");
        List<Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            prompts.add(parts.promptWrapper().wrap(
                    parts.adaptor().adapt(parts.featureExtractor().extract(images.get(i))), queries.get(i)));
        }
        List<Answer> batch = parts.languageModel().generateBatch(prompts, GREEDY);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(parts.languageModel().generate(prompts.get(i), GREEDY).tokenIds(),
                    batch.get(i).tokenIds(), "row " + i);
        }
    }

    @Test
    void should_refuse_another_model_type_and_a_missing_preprocessor_config() throws Exception {
        Path clip = TinyClip.write(tmp.resolve("clip"), 3, 8, 2);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> LlavaModels.load(clip));
        assertTrue(e.getMessage().contains("clip"), e.getMessage());

        Path broken = TinyLlava.write(tmp.resolve("llava-no-preprocessor"), 21);
        Files.delete(broken.resolve("preprocessor_config.json"));
        CheckpointException c = assertThrows(CheckpointException.class, () -> LlavaModels.load(broken));
        assertTrue(c.getMessage().contains("preprocessor_config.json"), c.getMessage());

        Path siglip = TinyLlava.write(tmp.resolve("llava-siglip"), 21);
        Files.writeString(siglip.resolve("config.json"), Files.readString(siglip.resolve("config.json"))
                .replace("clip_vision_model", "siglip_vision_model"), StandardCharsets.UTF_8);
        UnsupportedModelException s = assertThrows(UnsupportedModelException.class, () -> LlavaModels.load(siglip));
        assertTrue(s.getMessage().contains("siglip_vision_model"), s.getMessage());
    }
}
