package org.vlalign.core.contract;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.PromptWrapper;
import org.vlalign.Turn;

/**
 * The contract every {@link PromptWrapper} meets: invalid conversations are refused, the image
 * embeddings appear exactly once and unchanged, every turn's text appears in order, and wrapping is a
 * pure, thread-safe function. Extend it and implement {@link #newWrapper()}.
 *
 * <p>Instances are used by one JUnit thread; the wrapper under test is exercised from {@link
 * ContractSupport#THREADS} threads.
 *
 * @since 0.1.0
 */
public abstract class AbstractPromptWrapperContractTest {

    /**
     * Creates the wrapper under test.
     *
     * @return the wrapper
     */
    protected abstract PromptWrapper newWrapper();

    /**
     * Whether the template shows a system turn's text in the prompt.
     *
     * @return true by default
     */
    protected boolean showsSystemText() {
        return true;
    }

    /**
     * Image embeddings with distinct values: {@code rows × cols}, value {@code r + c / 1000}.
     *
     * @param rows the rows
     * @param cols the width
     * @return the embeddings
     */
    protected static Features imageEmbeddings(int rows, int cols) {
        float[] data = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                data[r * cols + c] = r + c / 1000f;
            }
        }
        return Features.of(data, rows, cols);
    }

    /**
     * The concatenation of a prompt's text segments, in order.
     *
     * @param prompt the prompt
     * @return the text
     */
    protected static String allText(Prompt prompt) {
        StringBuilder sb = new StringBuilder();
        for (Prompt.Segment s : prompt.segments()) {
            if (s instanceof Prompt.Segment.Text t) {
                sb.append(t.text());
            }
        }
        return sb.toString();
    }

    private static int countEmbeddingSegmentsEqualTo(Prompt prompt, Features image) {
        int n = 0;
        for (Prompt.Segment s : prompt.segments()) {
            if (s instanceof Prompt.Segment.Embeddings e && e.features().equals(image)) {
                n++;
            }
        }
        return n;
    }

    private static List<Turn> multiTurn() {
        return List.of(
                Turn.user("first question alpha"),
                Turn.assistant("first answer bravo"),
                Turn.user("second question charlie"),
                Turn.assistant("second answer delta"),
                Turn.user("third question echo"));
    }

    @Test
    void should_have_a_name() {
        assertFalse(newWrapper().name().isBlank(), "name");
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_conversation_is_empty() {
        assertThrows(InvalidArgumentException.class, () -> newWrapper().wrap(imageEmbeddings(2, 4), List.of()));
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_conversation_ends_with_the_assistant() {
        assertThrows(
                InvalidArgumentException.class,
                () -> newWrapper().wrap(imageEmbeddings(2, 4), List.of(Turn.user("q"), Turn.assistant("a"))));
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_conversation_has_only_a_system_turn() {
        assertThrows(
                InvalidArgumentException.class,
                () -> newWrapper().wrap(imageEmbeddings(2, 4), List.of(Turn.system("be brief"))));
    }

    @Test
    void should_throw_InvalidArgumentException_when_a_system_turn_is_not_first() {
        assertThrows(
                InvalidArgumentException.class,
                () -> newWrapper().wrap(
                        imageEmbeddings(2, 4),
                        List.of(Turn.user("q"), Turn.assistant("a"), Turn.system("s"), Turn.user("q2"))));
    }

    @Test
    void should_place_the_image_embeddings_exactly_once_and_unchanged() {
        Features image = imageEmbeddings(3, 5);
        Prompt single = newWrapper().wrap(image, "What is in the picture?");
        assertEquals(1, countEmbeddingSegmentsEqualTo(single, image), "single turn: " + single);
        assertEquals(3, single.embeddingPositions(), "only the image is fed as embeddings");
        Prompt multi = newWrapper().wrap(image, multiTurn());
        assertEquals(1, countEmbeddingSegmentsEqualTo(multi, image), "multi turn: " + multi);
        assertEquals(3, multi.embeddingPositions(), "only the image is fed as embeddings");
    }

    @Test
    void should_contain_the_query_text() {
        Prompt prompt = newWrapper().wrap(imageEmbeddings(2, 4), "How many zebras are there?");
        assertTrue(allText(prompt).contains("How many zebras are there?"), allText(prompt));
    }

    @Test
    void should_contain_earlier_turns_in_order() {
        String text = allText(newWrapper().wrap(imageEmbeddings(2, 4), multiTurn()));
        int last = -1;
        for (String word : List.of("alpha", "bravo", "charlie", "delta", "echo")) {
            int at = text.indexOf(word);
            assertTrue(at > last, word + " missing or out of order in: " + text);
            last = at;
        }
    }

    @Test
    void should_show_the_system_turn_before_the_first_question() {
        assumeTrue(showsSystemText(), "template does not show system text");
        String text = allText(newWrapper().wrap(
                imageEmbeddings(2, 4), List.of(Turn.system("You are a terse zoologist."), Turn.user("What animal?"))));
        int system = text.indexOf("You are a terse zoologist.");
        assertTrue(system >= 0, "system text missing: " + text);
        assertTrue(system < text.indexOf("What animal?"), "system text after the question: " + text);
    }

    @Test
    void should_wrap_a_query_like_a_one_turn_conversation() {
        Features image = imageEmbeddings(2, 4);
        assertEquals(
                newWrapper().wrap(image, List.of(Turn.user("Which colour?"))),
                newWrapper().wrap(image, "Which colour?"));
    }

    @Test
    void should_accept_an_empty_query() {
        Prompt prompt = assertDoesNotThrow(() -> newWrapper().wrap(imageEmbeddings(2, 4), ""));
        assertEquals(2, prompt.embeddingPositions());
    }

    @Test
    void should_be_a_pure_function_of_its_input() {
        PromptWrapper wrapper = newWrapper();
        Features image = imageEmbeddings(2, 4);
        assertEquals(wrapper.wrap(image, multiTurn()), wrapper.wrap(image, multiTurn()));
        assertEquals(wrapper.wrap(image, multiTurn()), newWrapper().wrap(image, multiTurn()));
    }

    @Test
    void should_give_concurrent_callers_what_sequential_calls_give() {
        PromptWrapper wrapper = newWrapper();
        Features image = imageEmbeddings(3, 4);
        List<String> queries = List.of("one", "two two", "three three three", "");
        List<Prompt> expected = queries.stream().map(q -> wrapper.wrap(image, q)).toList();
        int tasks = ContractSupport.THREADS * 4;
        List<Prompt> actual = ContractSupport.runConcurrently(tasks, i -> wrapper.wrap(image, queries.get(i % 4)));
        for (int i = 0; i < tasks; i++) {
            assertEquals(expected.get(i % 4), actual.get(i), "task " + i);
        }
    }

    /** The prompt's segments with every {@code Eos} replaced by {@code Tokens([id])}. */
    private static List<Prompt.Segment> eosPinned(Prompt prompt, int id) {
        return prompt.segments().stream()
                .map(s -> s instanceof Prompt.Segment.Eos ? new Prompt.Segment.Tokens(new int[] {id}) : s)
                .toList();
    }

    private static long countTokens(Prompt prompt, int id) {
        return prompt.segments().stream()
                .filter(s -> s.equals(new Prompt.Segment.Tokens(new int[] {id})))
                .count();
    }

    @Test
    void should_pin_the_eos_id_where_the_template_closes_a_turn() {
        PromptWrapper wrapper = newWrapper();
        Features image = imageEmbeddings(2, 4);
        PromptWrapper seven = wrapper.withEosTokenId(7);
        PromptWrapper nine = wrapper.withEosTokenId(9);
        assertEquals(wrapper.name(), seven.name(), "pinning keeps the name");
        Prompt base = wrapper.wrap(image, multiTurn());
        Prompt pinned7 = seven.wrap(image, multiTurn());
        Prompt pinned9 = nine.wrap(image, multiTurn());
        assertTrue(pinned7.segments().stream().noneMatch(s -> s instanceof Prompt.Segment.Eos),
                "a pinned template writes no Eos segment: " + pinned7);
        if (base.segments().stream().anyMatch(s -> s instanceof Prompt.Segment.Eos)) {
            assertEquals(eosPinned(base, 7), pinned7.segments(), "Eos segments become Tokens[7]");
        }
        assertEquals(pinned7.segments().size(), pinned9.segments().size(), "pinning changes only the ids");
        int pinnedPositions = 0;
        for (int i = 0; i < pinned7.segments().size(); i++) {
            Prompt.Segment a = pinned7.segments().get(i);
            Prompt.Segment b = pinned9.segments().get(i);
            boolean pinned = a.equals(new Prompt.Segment.Tokens(new int[] {7}))
                    && b.equals(new Prompt.Segment.Tokens(new int[] {9}));
            assertTrue(a.equals(b) || pinned, "segment " + i + ": " + a + " vs " + b);
            pinnedPositions += pinned ? 1 : 0;
        }
        // multiTurn() has two earlier answers: a template closes each with the end-of-sequence token, or none
        assertTrue(pinnedPositions == 0 || pinnedPositions == 2, pinnedPositions + " EOS ids in " + pinned7);
        assertEquals(pinnedPositions, countTokens(pinned7, 7), "the id appears only where it was pinned");
        assertEquals(allText(wrapper.wrap(image, "one question")), allText(seven.wrap(image, "one question")),
                "pinning leaves the text alone");
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_eos_id_is_negative() {
        assertThrows(InvalidArgumentException.class, () -> newWrapper().withEosTokenId(-1));
    }

    @Test
    void should_list_only_non_empty_stop_strings() {
        List<String> stops = newWrapper().stopStrings();
        assertNotNull(stops);
        for (String s : stops) {
            assertFalse(s.isEmpty(), "empty stop string");
        }
    }
}
