package org.vlalign.torch.internal.blip2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.testing.TestImages;
import org.vlalign.testing.TinyBlip.Kind;
import org.vlalign.testing.TinyBlip;
import org.vlalign.torch.internal.LeakCheck;

class BlipFeatureExtractorTest {
    @TempDir Path tmp;

    /** Writes a tiny checkpoint of {@code kind} and loads it; the caller closes the extractor. */
    private BlipFeatureExtractor loadTiny(Kind kind, long seed, int crossAttentionFrequency) {
        return BlipFeatureExtractor.load(TinyBlip.write(tmp.resolve(kind.name()), kind, seed, crossAttentionFrequency));
    }

    private static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            assertTrue(d <= tol, what + " differs at " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }

    @Test
    void should_return_the_same_features_when_extracting_in_a_batch_or_alone() {
        List<ImageInput> images = List.of(
                TestImages.gradient(1, 20, 24),
                TestImages.gradient(2, 40, 30),
                TestImages.gradient(3, 16, 16));
        // instructions of different lengths, so the batch pads the shorter ones
        List<String> instructions = List.of("what color is the cat ?", "", "describe this image");
        try (BlipFeatureExtractor extractor = loadTiny(Kind.INSTRUCTBLIP, 11, 2)) {
            assertTrue(extractor.acceptsInstruction());
            List<Features> batch = extractor.extractBatch(images, instructions);
            assertEquals(3, batch.size());
            for (int i = 0; i < images.size(); i++) {
                Features alone = extractor.extract(images.get(i), instructions.get(i));
                assertArrayEquals(
                        new int[] {TinyBlip.QUERIES, TinyBlip.QFORMER_HIDDEN},
                        alone.shape());
                assertClose(alone.data(), batch.get(i).data(), 1e-5, "row " + i);
            }
            // the instruction changes the features of an instruction-aware Q-Former
            Features other = extractor.extract(images.get(0), "how many dog");
            assertFalse(java.util.Arrays.equals(other.data(), batch.get(0).data()));
        }
    }

    @Test
    void should_give_sequential_results_when_eight_threads_extract_concurrently() throws Exception {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.INSTRUCTBLIP, 12, 1)) {
            List<ImageInput> images = new ArrayList<>();
            List<String> instructions = new ArrayList<>();
            List<Features> sequential = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                images.add(TestImages.gradient(i, 16 + i, 20));
                instructions.add(i % 3 == 0 ? "" : "what is on the table " + "a ".repeat(i % 4));
                sequential.add(extractor.extract(images.get(i), instructions.get(i)));
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Features>> futures = new ArrayList<>();
                for (int round = 0; round < 2; round++) {
                    for (int i = 0; i < images.size(); i++) {
                        int k = i;
                        futures.add(pool.submit(() -> extractor.extract(images.get(k), instructions.get(k))));
                    }
                }
                for (int f = 0; f < futures.size(); f++) {
                    assertArrayEquals(
                            sequential.get(f % images.size()).data(), futures.get(f).get().data(),
                            "image " + (f % images.size()));
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void should_embed_normalised_rows_when_the_checkpoint_has_retrieval_heads() {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.BLIP2_RETRIEVAL, 13, 2)) {
            assertFalse(extractor.acceptsInstruction());
            assertEquals(TinyBlip.ITC, extractor.embeddingSpace().dimension());
            assertEquals("blip-2", extractor.embeddingSpace().family());
            Features image = extractor.embedImage(TestImages.gradient(5, 30, 20));
            assertArrayEquals(new int[] {TinyBlip.QUERIES, TinyBlip.ITC}, image.shape());
            for (int r = 0; r < image.rows(); r++) {
                assertEquals(1.0, norm(image.row(r)), 1e-5, "image row " + r);
            }
            Features text = extractor.embedText("a red car");
            assertArrayEquals(new int[] {1, TinyBlip.ITC}, text.shape());
            assertEquals(1.0, norm(text.row(0)), 1e-5);
            assertFalse(java.util.Arrays.equals(text.data(), extractor.embedText("the sky").data()));
            assertThrows(InvalidArgumentException.class, () -> extractor.embedText(" "));
            String tooLong = "cat ".repeat(TinyBlip.QFORMER_MAX_POSITIONS);
            InvalidArgumentException e =
                    assertThrows(InvalidArgumentException.class, () -> extractor.embedText(tooLong));
            assertTrue(e.getMessage().contains("max_position_embeddings"), e.getMessage());
        }
    }

    @Test
    void should_score_each_text_as_if_alone_when_ranking_with_the_itm_head() {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.BLIP2_RETRIEVAL, 14, 1)) {
            ImageInput image = TestImages.gradient(6, 24, 24);
            List<String> texts = List.of("a cat", "two dogs sitting on a large sofa", "the sky");
            float[] together = extractor.itmScores(image, texts);
            assertEquals(3, together.length);
            for (int i = 0; i < texts.size(); i++) {
                float alone = extractor.itmScores(image, List.of(texts.get(i)))[0];
                assertTrue(together[i] > 0 && together[i] < 1, "probability " + together[i]);
                assertEquals(alone, together[i], 1e-5, "text " + i + " padded vs alone");
            }
        }
    }

    @Test
    void should_leave_the_model_manager_flat_when_embedding_and_ranking_many_times() {
        // A result belongs to its first operand's manager: an op on a weight (learned queries, CLS token,
        // Q-Former word table) parks the whole forward pass in the model manager until close().
        try (BlipFeatureExtractor extractor = loadTiny(Kind.BLIP2_RETRIEVAL, 20, 2)) {
            ImageInput image = TestImages.gradient(7, 20, 18);
            LeakCheck.assertFlat(() -> LeakCheck.arraysAlive(extractor), 50, round -> {
                extractor.extract(image);
                extractor.embedImage(image);
                extractor.embedText("a red car on the table");
                extractor.itmScores(image, List.of("a cat", "two dogs sitting on a sofa"));
                // the trainer's entry points, each in a call manager it closes
                try (NDManager call = extractor.newCallManager()) {
                    NDArray pixels = extractor.pixelValues(call, List.of(image));
                    extractor.imageEmbeds(call, pixels);
                    extractor.textEmbeds(call, new long[][] {{2, 6, 8, 3}}, new long[][] {{1, 1, 1, 1}});
                }
            });
        }
    }

    @Test
    void should_leave_the_model_manager_flat_when_extracting_with_instructions_many_times() {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.INSTRUCTBLIP, 21, 2)) {
            ImageInput image = TestImages.gradient(8, 24, 16);
            LeakCheck.assertFlat(() -> LeakCheck.arraysAlive(extractor), 50, round -> {
                extractor.extract(image, "what color is the cat ?");
                extractor.extract(image, "");
                extractor.extractBatch(List.of(image, image), List.of("describe this image", "a"));
            });
        }
    }

    @Test
    void should_refuse_search_when_the_checkpoint_has_no_projections() {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.BLIP2_MODEL, 15, 2)) {
            Features f = extractor.extract(TestImages.gradient(1, 16, 16));
            assertArrayEquals(new int[] {TinyBlip.QUERIES, TinyBlip.QFORMER_HIDDEN}, f.shape());
            UnsupportedModelException e = assertThrows(
                    UnsupportedModelException.class,
                    () -> extractor.embedImage(TestImages.gradient(1, 16, 16)));
            assertTrue(e.getMessage().contains("vision_projection"), e.getMessage());
            assertThrows(UnsupportedModelException.class, extractor::embeddingSpace);
            assertThrows(UnsupportedModelException.class, () -> extractor.embedText("a cat"));
        }
    }

    @Test
    void should_explain_the_missing_tokenizer_when_an_instruction_is_given() throws Exception {
        Path dir = TinyBlip.write(tmp.resolve("ib"), Kind.INSTRUCTBLIP, 16, 2);
        Files.delete(dir.resolve(BlipFeatureExtractor.QFORMER_TOKENIZER));
        try (BlipFeatureExtractor extractor = BlipFeatureExtractor.load(dir)) {
            ImageInput image = TestImages.gradient(1, 16, 16);
            UnsupportedModelException e =
                    assertThrows(UnsupportedModelException.class, () -> extractor.extract(image, "a cat"));
            assertTrue(e.getMessage().contains("qformer_tokenizer/tokenizer.json"), e.getMessage());
            assertEquals(TinyBlip.QUERIES, extractor.extract(image, "").rows());
        }
    }

    @Test
    void should_name_the_tensor_and_both_shapes_when_the_checkpoint_disagrees_with_the_config()
            throws Exception {
        Path dir = TinyBlip.write(tmp.resolve("ib"), Kind.INSTRUCTBLIP, 17, 2);
        Path configFile = dir.resolve("config.json");
        JsonObject config = JsonParser.parseString(Files.readString(configFile)).getAsJsonObject();
        config.getAsJsonObject("qformer_config").addProperty("intermediate_size", 50);
        Files.writeString(configFile, config.toString());
        CheckpointException e = assertThrows(CheckpointException.class, () -> BlipFeatureExtractor.load(dir));
        String m = e.getMessage();
        assertTrue(m.contains("qformer.encoder.layer.0."), m);
        assertTrue(m.contains("[48, 24]") && m.contains("[50, 24]"), m);
    }

    @Test
    void should_throw_image_decoding_exception_when_the_bytes_are_not_an_image() {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.BLIP2_MODEL, 18, 2)) {
            ImageInput corrupt = ImageInput.of(new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
            assertThrows(ImageDecodingException.class, () -> extractor.extract(corrupt));
        }
    }

    @Test
    void should_reject_a_checkpoint_of_another_model_type() throws Exception {
        Path dir = TinyBlip.write(tmp.resolve("b2"), Kind.BLIP2_MODEL, 19, 2);
        Path configFile = dir.resolve("config.json");
        Files.writeString(configFile, Files.readString(configFile).replace("\"blip-2\"", "\"gpt2\""));
        UnsupportedModelException e =
                assertThrows(UnsupportedModelException.class, () -> BlipFeatureExtractor.load(dir));
        assertTrue(e.getMessage().contains("gpt2"), e.getMessage());
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    @Test
    void should_put_every_activation_in_the_call_manager_when_inputs_live_longer() {
        try (BlipFeatureExtractor extractor = loadTiny(Kind.BLIP2_MODEL, 17, 1);
                NDManager longLived = extractor.newCallManager()) {
            int side = TinyBlip.IMAGE;
            NDArray pixels = longLived.create(new float[3 * side * side], new ai.djl.ndarray.types.Shape(1, 3, side, side));
            int before = longLived.getManagedArrays().size();
            float[] first = null;
            for (int i = 0; i < 1000; i++) {
                try (NDManager call = extractor.newCallManager()) {
                    float[] out = extractor.queryOutput(call, pixels, null, null).toFloatArray();
                    first = first == null ? out : first;
                    if (i == 999) {
                        assertArrayEquals(first, out, 0f, "same input, same output");
                    }
                }
                if (i % 100 == 99) {
                    assertEquals(before, longLived.getManagedArrays().size(), "arrays in the input's manager after "
                            + (i + 1) + " calls");
                }
            }
        }
    }
}
