package org.vlalign.torch.internal.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;
import org.vlalign.core.contract.ContractSupport;
import org.vlalign.core.image.ImagePreprocessor;
import org.vlalign.testing.TinyClip;
import org.vlalign.torch.internal.LeakCheck;
import org.vlalign.torch.internal.NdArrays;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClipFeatureExtractorTest {
    private static final int MAX_POSITIONS = 8;

    @TempDir
    static Path tmp;

    private ClipFeatureExtractor clip;

    @BeforeAll
    void load() {
        clip = ClipFeatureExtractor.load(
                TinyClip.write(tmp.resolve("clip"), 11, MAX_POSITIONS, 2));
    }

    @AfterAll
    void close() {
        clip.close();
    }

    private static ImageInput image(Color a, Color b) {
        return ContractSupport.pngImage(50, 37, a, b, Color.WHITE);
    }

    @Test
    void should_describe_a_clip_space_of_the_projection_width() {
        assertEquals("clip", clip.embeddingSpace().family());
        assertEquals(16, clip.embeddingSpace().dimension());
        assertTrue(clip.embeddingSpace().preprocessing().contains("32"),
                clip.embeddingSpace().preprocessing());
    }

    @Test
    void should_return_the_last_hidden_state_with_the_class_token_when_extracting_in_search_mode() {
        Features f = clip.extract(image(Color.RED, Color.BLUE));
        // 4x4 patches of a 32px image with 8px patches, plus the class token; vision hidden 32.
        assertArrayEquals(new int[] {17, 32}, f.shape());
    }

    @Test
    void should_give_the_same_features_in_a_batch_as_alone() {
        List<ImageInput> images = List.of(image(Color.RED, Color.BLUE), image(Color.GREEN, Color.BLACK),
                image(Color.YELLOW, Color.CYAN));
        List<Features> batch = clip.extractBatch(images, List.of("", "", ""));
        for (int i = 0; i < images.size(); i++) {
            ContractSupport.assertClose(clip.extract(images.get(i)), batch.get(i), 1e-5, 1e-4,
                    "batch row " + i);
        }
        assertNotEquals(batch.get(0), batch.get(1));
    }

    @Test
    void should_tokenize_with_start_and_end_tokens() {
        long[] ids = clip.tokenize("A red DOG");
        assertArrayEquals(new long[] {TinyClip.BOS_ID, 1, 3, 9, TinyClip.EOS_ID}, ids);
    }

    @Test
    void should_embed_text_as_the_normalised_projection_of_the_eos_state() {
        long[] ids = clip.tokenize("a blue square");
        Features viaApi = clip.embedText("a blue square");
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            // The encoder's pooled output with a padded batch must match the unpadded single text.
            long[][] padded = {
                {ids[0], ids[1], ids[2], ids[3], ids[4], TinyClip.EOS_ID, TinyClip.EOS_ID},
                {ids[0], 5, 6, 7, 8, 9, ids[4]}
            };
            long[][] mask = {{1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1}};
            NDArray embeds = clip.textEmbeds(m, padded, mask);
            float[] row0 = embeds.get(0).toFloatArray();
            ContractSupport.assertClose(viaApi, Features.ofVector(row0), 1e-5, 1e-4, "padded vs single");
            float[] row1 = embeds.get(1).toFloatArray();
            assertNotEquals(Features.ofVector(row0), Features.ofVector(row1));
        }
        ContractSupport.assertRowsNormalised(viaApi, 1e-5, "text embedding");
    }

    @Test
    void should_reject_text_longer_than_the_context() {
        // 7 words + start + end = 9 tokens > max_position_embeddings 8.
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> clip.embedText("a red and blue picture of the"));
        assertTrue(e.getMessage().contains("9") && e.getMessage().contains("8"), e.getMessage());
        // Exactly the context is fine.
        assertEquals(1, clip.embedText("a red and blue picture of").rows());
    }

    @Test
    void should_leave_no_native_arrays_behind_after_calls() {
        ImageInput img = image(Color.RED, Color.BLUE);
        LeakCheck.assertFlat(clip.manager(), 50, round -> {
            clip.extract(img);
            clip.extractBatch(List.of(img, img), List.of("", ""));
            clip.embedImage(img);
            clip.embedText("the blue cat");
        });
    }

    @Test
    void should_leave_no_native_arrays_behind_when_a_llava_vision_tower_extracts_many_times() throws Exception {
        Path dir = TinyClip.write(tmp.resolve("tower"), 12, MAX_POSITIONS, 2);
        JsonObject vision = JsonParser.parseString(Files.readString(dir.resolve("config.json")))
                .getAsJsonObject().getAsJsonObject("vision_config");
        ImagePreprocessor preprocessor = ImagePreprocessor.fromFile(dir.resolve("preprocessor_config.json"));
        try (TorchCheckpoint checkpoint = TorchCheckpoint.open(dir);
                ClipFeatureExtractor tower = ClipFeatureExtractor.visionTower(
                        checkpoint, vision, "vision_model.", -2, "default", preprocessor, false)) {
            ImageInput img = image(Color.GREEN, Color.BLACK);
            LeakCheck.assertFlat(tower.manager(), 50, round -> {
                tower.extract(img);
                tower.extractBatch(List.of(img, img), List.of("", ""));
            });
        }
    }

    @Test
    void should_leave_one_hidden_state_per_layer_in_the_callers_scope_and_free_each_layers_intermediates() {
        // Each layer runs in a scope of its own (NdArrays.inLayerScope): what a forward pass leaves in the
        // caller's manager grows by the one hidden state a layer returns, not by the dozen arrays it computes
        // inside. Kept, those were about 2 GB for LLaVA-1.5's 24-layer tower on a 336 px image.
        int twoLayers = arraysLeftBySelectFeatures(2);
        int fiveLayers = arraysLeftBySelectFeatures(5);
        assertEquals(3, fiveLayers - twoLayers, "arrays left: " + twoLayers + " with 2 layers, " + fiveLayers
                + " with 5");
    }

    private static int arraysLeftBySelectFeatures(int layers) {
        int side = TinyClip.IMAGE_SIZE;
        Path dir = TinyClip.builder().vision(32, layers, 4, side, TinyClip.PATCH_SIZE)
                .write(tmp.resolve("layers-" + layers));
        try (ClipFeatureExtractor tower = ClipFeatureExtractor.load(dir);
                NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray pixels = NdArrays.floats(m, new float[3 * side * side], 1, 3, side, side);
            tower.selectFeatures(pixels);
            return ((BaseNDManager) m).getManagedArrays().size();
        }
    }

    @Test
    void should_search_through_VlModel_load_with_cosine_scores_of_the_embeddings() {
        Path dir = TinyClip.write(tmp.resolve("clip-search"), 11, MAX_POSITIONS, 2);
        ImageInput red = image(Color.RED, Color.BLUE);
        ImageInput green = image(Color.GREEN, Color.BLACK);
        try (org.vlalign.VlModel model = org.vlalign.VlModel.load(dir)) {
            model.index("red", red, java.util.Map.of());
            model.index("green", green, java.util.Map.of());
            List<org.vlalign.SearchHit> hits = model.search("a red dog", 2);
            assertEquals(2, hits.size());
            float[] text = clip.embedText("a red dog").row(0);
            for (org.vlalign.SearchHit hit : hits) {
                float[] img = clip.embedImage(hit.id().equals("red") ? red : green).row(0);
                assertEquals(ContractSupport.dot(text, img), hit.score(), 1e-4, hit.id());
            }
            assertTrue(hits.get(0).score() >= hits.get(1).score(), "best first");
            // reference texts longer than this model's 8 positions are left out; the short ones judge the hits
            assertTrue(hits.stream().allMatch(org.vlalign.SearchHit::hasRelevance), hits.toString());
        }
    }

    @Test
    void should_reject_empty_text() {
        assertThrows(InvalidArgumentException.class, () -> clip.embedText(""));
    }

    @Test
    void should_rank_the_image_embedding_by_dot_product_consistently_with_logits() {
        Features img = clip.embedImage(image(Color.RED, Color.BLUE));
        assertArrayEquals(new int[] {1, 16}, img.shape());
        ContractSupport.assertRowsNormalised(img, 1e-5, "image embedding");
        assertEquals(2.6592f, clip.logitScale(), 1e-6);
    }

    @Test
    void should_embed_images_and_texts_from_8_threads_as_sequentially() {
        List<String> texts = List.of("a red dog", "the blue cat", "green grass", "a yellow patch");
        List<ImageInput> images = List.of(image(Color.RED, Color.BLUE), image(Color.GREEN, Color.GRAY));
        List<Features> expected = new ArrayList<>();
        for (String t : texts) {
            expected.add(clip.embedText(t));
        }
        for (ImageInput i : images) {
            expected.add(clip.embedImage(i));
        }
        int tasks = 48;
        List<Features> got = ContractSupport.runConcurrently(tasks, i -> {
            int k = i % 6;
            return k < 4 ? clip.embedText(texts.get(k)) : clip.embedImage(images.get(k - 4));
        });
        for (int i = 0; i < tasks; i++) {
            ContractSupport.assertClose(expected.get(i % 6), got.get(i), 1e-6, 1e-5, "task " + i);
        }
    }

    @Test
    void should_pool_at_the_first_eos_when_the_config_eos_is_not_2() {
        Path dir = TinyClip.write(tmp.resolve("clip-eos"), 11, MAX_POSITIONS,
                TinyClip.EOS_ID);
        try (ClipFeatureExtractor firstEos = ClipFeatureExtractor.load(dir)) {
            ClipTextModel text = firstEos.textModel();
            // Without an eos, argmax picks the highest id (position 1) and the first-eos rule falls back to 0.
            long[] noEos = {3, TinyClip.BOS_ID, 4};
            assertEquals(1, clip.textModel().pooledPosition(noEos));
            assertEquals(0, text.pooledPosition(noEos));
            long[] withEos = {TinyClip.BOS_ID, 3, TinyClip.EOS_ID, 4, TinyClip.EOS_ID};
            assertEquals(2, clip.textModel().pooledPosition(withEos));
            assertEquals(2, text.pooledPosition(withEos));
            // Same weights, other pooling rule: a real text gives the same vector (eos is the max id).
            ContractSupport.assertClose(clip.embedText("a red dog"), firstEos.embedText("a red dog"),
                    1e-6, 1e-5, "same weights");
        }
    }

    @Test
    void should_return_patch_features_without_class_token_for_a_llava_tower() throws Exception {
        Path dir = TinyClip.write(tmp.resolve("clip-tower"), 11, MAX_POSITIONS, 2);
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(dir);
                ClipFeatureExtractor tower = ClipFeatureExtractor.visionTower(ckpt,
                        ckpt.config().getAsJsonObject("vision_config"), "vision_model.", -2, "default",
                        clip.preprocessor(), false);
                ClipFeatureExtractor full = ClipFeatureExtractor.visionTower(ckpt,
                        ckpt.config().getAsJsonObject("vision_config"), "vision_model.", 2, "full",
                        clip.preprocessor(), false)) {
            ImageInput img = image(Color.RED, Color.BLUE);
            Features patches = tower.extract(img);
            assertArrayEquals(new int[] {16, 32}, patches.shape());
            assertEquals(1, tower.visionModel().loadedLayers(), "layers after the selected one are not loaded");
            // Layer 2 of 2 with CLS = the search model's last hidden state.
            ContractSupport.assertClose(clip.extract(img), full.extract(img), 1e-6, 1e-5, "full strategy");
            assertThrows(UnsupportedModelException.class, () -> tower.embedText("a dog"));
            assertThrows(UnsupportedModelException.class, tower::embeddingSpace);
            assertThrows(UnsupportedModelException.class, () -> ClipFeatureExtractor.visionTower(ckpt,
                    ckpt.config().getAsJsonObject("vision_config"), "vision_model.", -2, "cls_patch",
                    clip.preprocessor(), false));
            assertThrows(UnsupportedModelException.class, () -> ClipFeatureExtractor.visionTower(ckpt,
                    ckpt.config().getAsJsonObject("vision_config"), "vision_model.", -4, "default",
                    clip.preprocessor(), false));
        }
    }

    @Test
    void should_refuse_a_folder_of_another_model_type() throws Exception {
        Path dir = TinyClip.write(tmp.resolve("not-clip"), 11, MAX_POSITIONS, 2);
        java.nio.file.Files.writeString(dir.resolve("config.json"),
                java.nio.file.Files.readString(dir.resolve("config.json"))
                        .replace("\"model_type\":\"clip\"", "\"model_type\":\"siglip\""));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> ClipFeatureExtractor.load(dir));
        assertTrue(e.getMessage().contains("siglip"), e.getMessage());
    }
}
