package org.vlalign.core.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.Prompt;
import org.vlalign.Prompt.Segment.Bos;
import org.vlalign.Prompt.Segment.Eos;
import org.vlalign.Prompt.Segment.Embeddings;
import org.vlalign.Prompt.Segment.Text;
import org.vlalign.Prompt.Segment.Tokens;
import org.vlalign.PromptWrapper;
import org.vlalign.Turn;
import org.vlalign.UnsupportedModelException;

/** The exact segments each template produces, written out by hand from the templates' definitions. */
class PromptTemplatesTest {
    private static final Features IMAGE = Features.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);

    private static Prompt prompt(Prompt.Segment... segments) {
        return Prompt.of(segments);
    }

    @Test
    void should_build_the_reference_prompt_when_llama2_chat_gets_one_question() {
        assertEquals(
                prompt(new Bos(), new Text("[INST] "), new Embeddings(IMAGE), new Text(" What is this? [/INST]")),
                Llama2ChatPromptWrapper.create().wrap(IMAGE, "What is this?"));
    }

    @Test
    void should_keep_the_spaces_of_the_reference_prompt_when_the_query_is_empty() {
        assertEquals(
                prompt(new Bos(), new Text("[INST] "), new Embeddings(IMAGE), new Text("  [/INST]")),
                Llama2ChatPromptWrapper.create().wrap(IMAGE, ""));
    }

    @Test
    void should_put_the_sys_block_before_the_image_when_llama2_chat_has_a_system_turn() {
        assertEquals(
                prompt(new Bos(), new Text("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n"), new Embeddings(IMAGE),
                        new Text(" Colour? [/INST]")),
                Llama2ChatPromptWrapper.create().wrap(IMAGE, List.of(Turn.system("Be brief."), Turn.user("Colour?"))));
    }

    @Test
    void should_separate_llama2_chat_turns_with_eos_and_bos() {
        List<Turn> turns = List.of(Turn.user("Q1"), Turn.assistant("A1"), Turn.user("Q2"));
        assertEquals(
                prompt(new Bos(), new Text("[INST] "), new Embeddings(IMAGE), new Text(" Q1 [/INST] A1 "),
                        new Tokens(new int[] {2}), new Bos(), new Text("[INST] Q2 [/INST]")),
                Llama2ChatPromptWrapper.create().withEosTokenId(2).wrap(IMAGE, turns));
        assertEquals(
                prompt(new Bos(), new Text("[INST] "), new Embeddings(IMAGE), new Text(" Q1 [/INST] A1 "),
                        new Eos(), new Bos(), new Text("[INST] Q2 [/INST]")),
                Llama2ChatPromptWrapper.create().wrap(IMAGE, turns));
    }

    @Test
    void should_use_the_vicuna_system_prompt_by_default() {
        assertEquals(
                prompt(new Bos(), new Text(VicunaPromptWrapper.DEFAULT_SYSTEM + " USER: "), new Embeddings(IMAGE),
                        new Text("\nWhat? ASSISTANT:")),
                VicunaPromptWrapper.create().wrap(IMAGE, "What?"));
    }

    @Test
    void should_drop_the_vicuna_system_prompt_when_the_system_turn_is_empty() {
        assertEquals(
                prompt(new Bos(), new Text("USER: "), new Embeddings(IMAGE), new Text("\nWhat? ASSISTANT:")),
                VicunaPromptWrapper.create().wrap(IMAGE, List.of(Turn.system(""), Turn.user("What?"))));
    }

    @Test
    void should_close_vicuna_answers_with_eos() {
        List<Turn> turns = List.of(Turn.system("S."), Turn.user("Q1"), Turn.assistant("A1"), Turn.user("Q2"));
        assertEquals(
                prompt(new Bos(), new Text("S. USER: "), new Embeddings(IMAGE), new Text("\nQ1 ASSISTANT: A1"),
                        new Tokens(new int[] {7}), new Text("USER: Q2 ASSISTANT:")),
                VicunaPromptWrapper.create().withEosTokenId(7).wrap(IMAGE, turns));
        assertEquals(
                prompt(new Bos(), new Text("S. USER: "), new Embeddings(IMAGE), new Text("\nQ1 ASSISTANT: A1"),
                        new Eos(), new Text("USER: Q2 ASSISTANT:")),
                VicunaPromptWrapper.create().wrap(IMAGE, turns));
    }

    @Test
    void should_build_the_llava_model_card_prompt() {
        assertEquals(
                prompt(new Bos(), new Text("USER: "), new Embeddings(IMAGE), new Text("\nWhat is shown? ASSISTANT:")),
                LlavaPromptWrapper.create().wrap(IMAGE, "What is shown?"));
    }

    @Test
    void should_put_embeddings_before_bos_for_instructblip() {
        assertEquals(
                prompt(new Embeddings(IMAGE), new Bos(), new Text("Describe the image.")),
                InstructBlipPromptWrapper.create().wrap(IMAGE, "Describe the image."));
        assertEquals(prompt(new Embeddings(IMAGE), new Bos()), InstructBlipPromptWrapper.create().wrap(IMAGE, ""));
    }

    @Test
    void should_join_instructblip_turns_as_plain_text() {
        assertEquals(
                prompt(new Embeddings(IMAGE), new Bos(), new Text("Sys. Q1 A1 Q2")),
                InstructBlipPromptWrapper.create().wrap(
                        IMAGE, List.of(Turn.system("Sys."), Turn.user("Q1"), Turn.assistant("A1"), Turn.user("Q2"))));
    }

    @Test
    void should_stop_at_the_next_user_turn() {
        assertEquals(List.of("USER:"), VicunaPromptWrapper.create().stopStrings());
        assertEquals(List.of("USER:"), LlavaPromptWrapper.create().stopStrings());
        assertEquals(List.of("[INST]"), Llama2ChatPromptWrapper.create().stopStrings());
        assertEquals(List.of(), InstructBlipPromptWrapper.create().stopStrings());
    }

    @Test
    void should_refuse_two_user_turns_in_a_row() {
        InvalidArgumentException e = assertThrows(
                InvalidArgumentException.class,
                () -> LlavaPromptWrapper.create().wrap(IMAGE, List.of(Turn.user("a"), Turn.user("b"))));
        assertTrue(e.getMessage().contains("turn 1"), e.getMessage());
    }

    @Test
    void should_pin_the_eos_id_through_the_interface_and_re_pin_a_pinned_template() {
        List<Turn> turns = List.of(Turn.user("Q1"), Turn.assistant("A1"), Turn.user("Q2"));
        for (PromptWrapper template : List.<PromptWrapper>of(
                Llama2ChatPromptWrapper.create(), VicunaPromptWrapper.create(), LlavaPromptWrapper.create())) {
            PromptWrapper pinned = template.withEosTokenId(2).withEosTokenId(5); // as a loader, then a caller
            List<Prompt.Segment> segments = pinned.wrap(IMAGE, turns).segments();
            assertEquals(1, segments.stream().filter(new Tokens(new int[] {5})::equals).count(), template.name());
            assertTrue(segments.stream().noneMatch(t -> t instanceof Eos || t.equals(new Tokens(new int[] {2}))),
                    template.name() + ": " + segments);
        }
        for (PromptWrapper plain : List.<PromptWrapper>of(InstructBlipPromptWrapper.create(),
                ImagePrefixPromptWrapper.create())) {
            assertEquals(plain, plain.withEosTokenId(5), plain.name() + " writes no EOS, so there is nothing to pin");
        }
    }

    @Test
    void should_refuse_a_negative_eos_id() {
        assertThrows(InvalidArgumentException.class, () -> VicunaPromptWrapper.create().withEosTokenId(-1));
    }

    @Test
    void should_find_every_template_by_name() {
        for (String name : PromptWrappers.names()) {
            PromptWrapper wrapper = PromptWrappers.forName(name.toUpperCase());
            assertEquals(name, wrapper.name());
        }
        assertInstanceOf(Llama2ChatPromptWrapper.class, PromptWrappers.forName(" llama-2-chat "));
    }

    @Test
    void should_list_known_names_when_the_template_is_unknown() {
        UnsupportedModelException e =
                assertThrows(UnsupportedModelException.class, () -> PromptWrappers.forName("alpaca"));
        assertTrue(e.getMessage().contains("alpaca") && e.getMessage().contains("llava-1.5"), e.getMessage());
    }
}
