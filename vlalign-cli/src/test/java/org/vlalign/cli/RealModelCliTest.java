package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import org.vlalign.cli.CliRunner.Result;

/**
 * The CLI on real checkpoints through the PyTorch provider: the tiny Hugging Face cases of
 * {@code shared/parity}, loaded by {@link VlModel#load} exactly as a downloaded checkpoint.
 */
class RealModelCliTest {

    private static final Path PARITY = Path.of(System.getProperty("vlalign.parity.dir", "../../shared/parity"));

    @TempDir Path tmp;

    @Test
    void should_describe_an_image_as_the_api_does_when_model_is_instructblip() {
        Path model = PARITY.resolve("instructblip");
        Path image = model.resolve("image0.png");

        Result r = CliRunner.run("describe", "--model", model.toString(), "--image", image.toString(),
                "--max-new-tokens", "6");
        Result again = CliRunner.run("describe", "--model", model.toString(), "--image", image.toString(),
                "--max-new-tokens", "6", "--no-stream");

        assertEquals(0, r.exitCode(), r.toString());
        assertFalse(r.out().isBlank(), r.toString());
        assertEquals(r.out(), again.out(), "greedy decoding is deterministic, streamed or not");
        try (VlModel vl = VlModel.load(model)) {
            Answer answer = vl.ask(ImageInput.of(image), "", GenerationConfig.builder().maxNewTokens(6).build());
            assertEquals(answer.text() + System.lineSeparator(), r.out());
            assertTrue(r.err().contains("[" + answer.finishReason() + " | " + answer.promptTokens() + " prompt + "
                    + answer.generatedTokens() + " new tokens"), r.toString());
        }
    }

    @Test
    void should_report_the_decoder_error_and_exit_1_when_image_is_corrupt() throws IOException {
        Path corrupt = TestImages.corruptJpeg(tmp.resolve("photo.jpg"));

        Result r = CliRunner.run("describe", "--model", PARITY.resolve("instructblip").toString(), "--image",
                corrupt.toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Error: Image " + corrupt), "the decoder's message names the file: " + r);
        assertTrue(r.err().contains("corrupt"), r.toString());
        assertFalse(r.err().contains("\tat "), r.toString());
        assertTrue(r.out().isEmpty(), r.toString());
    }

    @Test
    void should_index_a_folder_and_resume_when_model_is_blip2_retrieval() throws IOException {
        Path model = PARITY.resolve("blip2_retrieval");
        Path photos = Files.createDirectories(tmp.resolve("photos"));
        for (String name : new String[] {"image0.png", "image1.png", "image2.png"}) {
            Files.copy(model.resolve(name), photos.resolve(name));
        }
        TestImages.corruptJpeg(photos.resolve("broken.jpg"));
        Path index = tmp.resolve("photos.idx");

        Result first = CliRunner.run("index", "-m", model.toString(), "--index", index.toString(), photos.toString());
        Result second = CliRunner.run("index", "-m", model.toString(), "--index", index.toString(),
                photos.toString());

        assertEquals(0, first.exitCode(), first.toString());
        assertTrue(first.out().contains("Indexed 3 new or changed images, 0 unchanged, 1 skipped"), first.toString());
        assertTrue(first.out().contains("broken.jpg: "), first.toString());
        assertEquals(0, second.exitCode(), second.toString());
        assertTrue(second.out().contains("Indexed 0 new or changed images, 3 unchanged, 1 skipped"),
                second.toString());
    }

    @Test
    void should_rank_images_as_the_api_scores_them_when_searching() throws IOException {
        // The parity checkpoint has no tokenizer: give its copy a small word-level BERT-style one.
        Path model = Files.createDirectories(tmp.resolve("blip2-retrieval"));
        for (String name : new String[] {"config.json", "model.safetensors", "preprocessor_config.json"}) {
            Files.copy(PARITY.resolve("blip2_retrieval").resolve(name), model.resolve(name));
        }
        Files.writeString(model.resolve("tokenizer.json"), BERT_STYLE_TOKENIZER);
        Path photos = Files.createDirectories(tmp.resolve("photos"));
        for (String name : new String[] {"image0.png", "image1.png", "image2.png"}) {
            Files.copy(PARITY.resolve("blip2_retrieval").resolve(name), photos.resolve(name));
        }
        Path index = tmp.resolve("photos.idx");
        assertEquals(0, CliRunner.run("index", "-m", model.toString(), "--index", index.toString(),
                photos.toString()).exitCode());

        Result r = CliRunner.run("search", "-m", model.toString(), "--index", index.toString(), "-k", "3",
                "a", "photo", "of", "a", "red", "cat");

        assertEquals(0, r.exitCode(), r.toString());
        String[] lines = r.out().strip().split("\\R");
        assertEquals(3, lines.length, r.toString());
        try (VlModel vl = VlModel.load(model)) {
            Features text = vl.featureExtractor().embedText("a photo of a red cat");
            Map<String, Float> expected = new HashMap<>();
            for (String name : new String[] {"image0.png", "image1.png", "image2.png"}) {
                expected.put(name, maxDot(vl.featureExtractor().embedImage(ImageInput.of(photos.resolve(name))),
                        text.row(0)));
            }
            float previous = Float.POSITIVE_INFINITY;
            for (int i = 0; i < 3; i++) {
                String[] cols = lines[i].strip().split("\\s+");
                assertEquals(String.valueOf(i + 1), cols[0], lines[i]);
                float score = Float.parseFloat(cols[1]);
                assertEquals(expected.get(cols[3]), score, 1e-4, lines[i]); // rank, score, relevance, id
                assertTrue(score <= previous, "best first: " + r);
                previous = score;
            }
        }
    }

    private static float maxDot(Features image, float[] text) {
        float best = Float.NEGATIVE_INFINITY;
        for (int row = 0; row < image.rows(); row++) {
            float[] v = image.row(row);
            float dot = 0;
            for (int j = 0; j < v.length; j++) {
                dot += v[j] * text[j];
            }
            best = Math.max(best, dot);
        }
        return best;
    }

    /** A word-level tokenizer in Hugging Face's tokenizer.json format that wraps text in [CLS] ... [SEP]. */
    private static final String BERT_STYLE_TOKENIZER = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
              {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false,
               "normalized": false, "special": true},
              {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false,
               "normalized": false, "special": true},
              {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false,
               "normalized": false, "special": true},
              {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false,
               "normalized": false, "special": true}],
             "normalizer": {"type": "Lowercase"},
             "pre_tokenizer": {"type": "Whitespace"},
             "post_processor": {"type": "TemplateProcessing",
              "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
              "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
              "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                                 "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
             "decoder": null,
             "model": {"type": "WordLevel", "unk_token": "[UNK]",
              "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "a": 4, "photo": 5, "of": 6, "red": 7,
                        "cat": 8, "dog": 9}}}
            """;

    @Test
    void should_refuse_an_index_built_with_another_model() throws IOException {
        Path photos = Files.createDirectories(tmp.resolve("photos"));
        Files.copy(PARITY.resolve("clip/image0.png"), photos.resolve("image0.png"));
        Path index = tmp.resolve("photos.idx");
        Result built = CliRunner.run("index", "-m", PARITY.resolve("blip2_retrieval").toString(), "--index",
                index.toString(), photos.toString());
        assertEquals(0, built.exitCode(), built.toString());

        Result r = CliRunner.run("search", "-m", PARITY.resolve("clip").toString(), "--index", index.toString(),
                "a cat");

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("blip-2"), "names the index's model family: " + r);
        assertTrue(r.err().contains("clip"), "names the asked model family: " + r);
    }
}
