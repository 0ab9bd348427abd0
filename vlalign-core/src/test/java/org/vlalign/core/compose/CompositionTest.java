package org.vlalign.core.compose;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlalign.Answer;
import org.vlalign.AskRequest;
import org.vlalign.Chat;
import org.vlalign.Features;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.Prompt;
import org.vlalign.Prompt.Segment.Bos;
import org.vlalign.Prompt.Segment.Embeddings;
import org.vlalign.Prompt.Segment.Text;
import org.vlalign.SearchHit;
import org.vlalign.Turn;
import org.vlalign.core.ComposedVlModel;
import org.vlalign.core.contract.ContractSupport;

/**
 * The five parts compose, with no special cases, into the reference system, InstructBLIP, LLaVA-1.5,
 * BLIP-2 retrieval and CLIP search. Expected values are computed by calling the parts directly.
 */
class CompositionTest {
    private static final GenerationConfig CONFIG = GenerationConfig.builder().maxNewTokens(5).build();
    private static final ImageInput CAT = ContractSupport.pngImage(64, 32, Color.ORANGE, Color.WHITE, Color.BLACK);
    private static final ImageInput SKY = ContractSupport.pngImage(32, 64, Color.CYAN, Color.BLUE, Color.WHITE);

    private static FakeFeatureExtractor extractor(ComposedVlModel model) {
        return (FakeFeatureExtractor) model.featureExtractor();
    }

    private static FakeLanguageModel lm(ComposedVlModel model) {
        return (FakeLanguageModel) model.languageModel();
    }

    private static Prompt lastPrompt(ComposedVlModel model) {
        List<Prompt> prompts = lm(model).prompts();
        return prompts.get(prompts.size() - 1);
    }

    @Test
    void should_feed_the_reference_prompt_with_the_adapted_qformer_features() {
        try (ComposedVlModel model = Compositions.referenceSystem()) {
            Answer answer = model.ask(CAT, "What animal is it?", CONFIG);

            Features features = extractor(model).extract(CAT);
            assertArrayEquals(new int[] {32, 24}, features.shape(), "32 query tokens");
            Features embeddings = model.adaptor().adapt(features);
            Prompt expected = Prompt.of(
                    new Bos(), new Text("[INST] "), new Embeddings(embeddings), new Text(" What animal is it? [/INST]"));
            assertEquals(expected, lastPrompt(model));
            Answer direct = model.languageModel().generate(
                    expected, CONFIG.toBuilder().stopStrings(List.of("[INST]")).build());
            assertArrayEquals(direct.tokenIds(), answer.tokenIds());
            assertEquals(direct.text(), answer.text());
            int textTokens = model.languageModel().encode("[INST] ").length
                    + model.languageModel().encode(" What animal is it? [/INST]").length;
            assertEquals(1 + 32 + textTokens, answer.promptTokens(), "bos + 32 rows + text");
        }
    }

    @Test
    void should_answer_differently_for_different_images() {
        try (ComposedVlModel model = Compositions.referenceSystem()) {
            GenerationConfig longer = CONFIG.toBuilder().maxNewTokens(12).build();
            assertNotEquals(model.ask(CAT, "What is it?", longer).text(), model.ask(SKY, "What is it?", longer).text());
        }
    }

    @Test
    void should_condition_the_instructblip_qformer_on_the_query() {
        try (ComposedVlModel model = Compositions.instructBlip()) {
            model.ask(CAT, "What colour is the cat?", CONFIG);
            Prompt first = lastPrompt(model);
            model.ask(CAT, "Is it sleeping?", CONFIG);
            Prompt second = lastPrompt(model);

            assertEquals(List.of("What colour is the cat?", "Is it sleeping?"), extractor(model).instructions());
            Features expected = model.adaptor().adapt(extractor(model).extract(CAT, "What colour is the cat?"));
            assertEquals(Prompt.of(new Embeddings(expected), new Bos(), new Text("What colour is the cat?")), first);
            assertNotEquals(first.segments().get(0), second.segments().get(0), "image embeddings follow the query");
        }
    }

    @Test
    void should_place_the_llava_image_where_the_placeholder_stands_and_stop_at_the_next_user_turn() {
        try (ComposedVlModel model = Compositions.llava()) {
            model.ask(SKY, "Where is this?", CONFIG);
            Features embeddings = model.adaptor().adapt(extractor(model).extract(SKY));
            assertArrayEquals(new int[] {16, Compositions.LM_HIDDEN}, embeddings.shape(), "16 patches, MLP-projected");
            assertEquals(
                    Prompt.of(new Bos(), new Text("USER: "), new Embeddings(embeddings), new Text("\nWhere is this? ASSISTANT:")),
                    lastPrompt(model));
            List<GenerationConfig> configs = lm(model).configs();
            assertEquals(List.of("USER:"), configs.get(configs.size() - 1).stopStrings());
        }
    }

    @Test
    void should_keep_the_callers_stop_strings_and_add_the_templates_once() {
        try (ComposedVlModel model = Compositions.llava()) {
            model.ask(SKY, "Q", CONFIG.toBuilder().stopStrings(List.of("###", "USER:")).build());
            List<GenerationConfig> configs = lm(model).configs();
            assertEquals(List.of("###", "USER:"), configs.get(configs.size() - 1).stopStrings());
        }
    }

    @Test
    void should_leave_the_config_alone_when_template_stop_strings_are_off() {
        try (ComposedVlModel model = Compositions.llava().toBuilder().templateStopStrings(false).build()) {
            model.ask(SKY, "Q", CONFIG);
            List<GenerationConfig> configs = lm(model).configs();
            assertEquals(CONFIG, configs.get(configs.size() - 1));
        }
    }

    /** Mostly grey, with one pure red region covering two grid cells. */
    private static ImageInput greyWithRedCorner() {
        BufferedImage image = new BufferedImage(80, 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.GRAY);
        g.fillRect(0, 0, 80, 40);
        g.setColor(Color.RED);
        g.fillRect(0, 0, 20, 10);
        g.dispose();
        return ImageInput.of(ContractSupport.encodePng(image));
    }

    private static ImageInput uniform(Color color) {
        return ContractSupport.solidImage(80, 40, color);
    }

    private static double maxDot(Features image, Features text) {
        double best = Double.NEGATIVE_INFINITY;
        for (int r = 0; r < image.rows(); r++) {
            best = Math.max(best, ContractSupport.dot(image.row(r), text.row(0)));
        }
        return best;
    }

    private static List<SearchHit> indexAndSearch(ComposedVlModel model, String query) {
        model.index("red-corner", greyWithRedCorner(), Map.of("source", "corner.png"));
        model.index("pink", uniform(new Color(153, 102, 102)), Map.of("source", "pink.png"));
        model.index("green", uniform(Color.GREEN), Map.of("source", "green.png"));
        return model.search(query, 3);
    }

    @Test
    void should_rank_blip2_retrieval_by_the_best_of_32_query_vectors() {
        try (ComposedVlModel model = Compositions.referenceSystem()) {
            List<SearchHit> hits = indexAndSearch(model, "red");

            assertEquals(List.of("red-corner", "pink", "green"), hits.stream().map(SearchHit::id).toList());
            Features text = model.featureExtractor().embedText("red");
            Features corner = model.featureExtractor().embedImage(greyWithRedCorner());
            assertEquals(32, corner.rows(), "one vector per query token");
            assertEquals(maxDot(corner, text), hits.get(0).score(), 1e-5);
            assertEquals(Map.of("source", "corner.png"), hits.get(0).metadata());
            assertEquals(3, model.imageIndex().size());
        }
    }

    @Test
    void should_rank_clip_search_by_one_vector_per_image() {
        try (ComposedVlModel model = Compositions.clip()) {
            List<SearchHit> hits = indexAndSearch(model, "red");

            // The mean colour of the grey image with a small red corner is less red than uniform pink.
            assertEquals(List.of("pink", "red-corner", "green"), hits.stream().map(SearchHit::id).toList());
            Features text = model.featureExtractor().embedText("red");
            Features pink = model.featureExtractor().embedImage(uniform(new Color(153, 102, 102)));
            assertEquals(1, pink.rows(), "one vector per image");
            assertEquals(ContractSupport.dot(pink.row(0), text.row(0)), hits.get(0).score(), 1e-5);
        }
    }

    @Test
    void should_extract_image_features_once_per_chat() {
        try (ComposedVlModel model = Compositions.referenceSystem()) {
            int before = extractor(model).extractCalls();
            Chat chat = model.newChat(CAT);
            chat.send("What is it?", CONFIG, t -> {});
            chat.send("And its colour?", CONFIG, t -> {});
            chat.send("Thanks. Anything else?", CONFIG, t -> {});
            assertEquals(before + 1, extractor(model).extractCalls(), "three turns, one extraction");

            Features embeddings = model.adaptor().adapt(extractor(model).extract(CAT));
            List<Turn> turns = chat.turns();
            Prompt expected = model.promptWrapper().wrap(embeddings, turns.subList(0, 5));
            assertEquals(expected, lm(model).prompts().get(lm(model).prompts().size() - 1), "third turn's prompt");
        }
    }

    @Test
    void should_extract_once_per_chat_with_the_first_question_when_instruction_aware() {
        try (ComposedVlModel model = Compositions.instructBlip()) {
            Chat chat = model.newChat(SKY);
            assertEquals(0, extractor(model).extractCalls(), "waits for the first question");
            chat.send("What is the weather?", CONFIG, t -> {});
            chat.send("Is it day?", CONFIG, t -> {});
            assertEquals(List.of("What is the weather?"), extractor(model).instructions());
        }
    }

    @Test
    void should_batch_extraction_and_generation() {
        try (ComposedVlModel model = Compositions.llava()) {
            List<AskRequest> requests = List.of(new AskRequest(CAT, "One?"), new AskRequest(SKY, "Two?"));
            List<Answer> answers = model.askBatch(requests, CONFIG);
            assertEquals(1, extractor(model).extractBatchCalls());
            assertEquals(1, lm(model).generateBatchCalls());
            assertEquals(2, answers.size());
            assertArrayEquals(model.ask(SKY, "Two?", CONFIG).tokenIds(), answers.get(1).tokenIds());
        }
    }

    @Test
    void should_keep_the_system_prompt_image_and_latest_turns_past_the_context_length() {
        try (ComposedVlModel model = Compositions.referenceSystem()) { // context 512, one token per character
            Chat chat = model.newChat(CAT, "be brief");
            String question = "q".repeat(150) + "?";
            for (int i = 0; i < 6; i++) {
                chat.send(i + question, CONFIG, t -> {});
            }
            assertTrue(chat.droppedTurns() > 0, "earlier turns were dropped: " + chat.droppedTurns());
            assertEquals(13, chat.turns().size(), "every turn is still listed");
            Prompt last = lm(model).prompts().get(lm(model).prompts().size() - 1);
            String text = last.segments().stream()
                    .filter(sg -> sg instanceof Prompt.Segment.Text)
                    .map(sg -> ((Prompt.Segment.Text) sg).text())
                    .reduce("", String::concat);
            assertTrue(text.contains("be brief"), "system prompt kept: " + text);
            assertTrue(text.contains("5" + question), "latest question kept");
            assertTrue(!text.contains("0" + question), "oldest question dropped");
            assertTrue(last.embeddingPositions() > 0, "image kept");
            Chat fresh = model.newChat(CAT, "be brief");
            fresh.send("short?", CONFIG, t -> {});
            assertEquals(0, fresh.droppedTurns());
        }
    }

    @Test
    void should_extract_a_large_batch_in_bounded_slices() {
        try (ComposedVlModel model = Compositions.llava()) {
            int n = 2 * ComposedVlModel.MAX_VISION_BATCH + 3;
            List<AskRequest> requests = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                requests.add(new AskRequest(i % 2 == 0 ? CAT : SKY, "Q" + i + "?"));
            }
            List<Answer> answers = model.askBatch(requests, CONFIG);
            assertEquals(3, extractor(model).extractBatchCalls(), "slices of at most " + ComposedVlModel.MAX_VISION_BATCH);
            assertEquals(n, answers.size());
            assertArrayEquals(model.ask(SKY, "Q" + (n - 2) + "?", CONFIG).tokenIds(), answers.get(n - 2).tokenIds());
        }
    }

    @Test
    void should_answer_eight_concurrent_callers_like_sequential_ones() {
        try (ComposedVlModel model = Compositions.referenceSystem()) {
            List<ImageInput> images = List.of(CAT, SKY);
            List<String> queries = List.of("a?", "bb?", "ccc?", "dddd?");
            List<Answer> sequential = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                sequential.add(model.ask(images.get(i % 2), queries.get(i % 4), CONFIG));
            }
            List<Answer> concurrent = ContractSupport.runConcurrently(
                    8, i -> model.ask(images.get(i % 2), queries.get(i % 4), CONFIG));
            for (int i = 0; i < 8; i++) {
                assertEquals(sequential.get(i), concurrent.get(i), "caller " + i);
            }
        }
    }

    @Test
    void should_close_the_parts_it_owns() {
        ComposedVlModel model = Compositions.llava();
        model.close();
        assertTrue(lm(model).isClosed());
        assertTrue(((FakeAdaptor) model.adaptor()).isClosed());
        assertInstanceOf(FakeLanguageModel.class, model.languageModel());
    }
}
