package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlalign.DecodingStrategy;
import org.vlalign.GenerationConfig;
import org.vlalign.cli.CliRunner.Result;

class VlalignCliTest {

    @TempDir Path tmp;

    private Path model;
    private Path redImage;

    @BeforeEach
    void setUp() throws IOException {
        FakeVlModel.reset();
        model = FakeModelProvider.writeCheckpoint(tmp.resolve("model"), false);
        redImage = TestImages.png(tmp.resolve("red.png"), Color.RED);
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "ask", "chat", "describe", "index", "search", "serve", "parity", "train"})
    void should_print_usage_and_exit_0_when_subcommand_help_is_asked(String command) {
        Result r = CliRunner.run(command, "--help");

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.out().contains("Usage: vlalign " + command), r.toString());
        assertTrue(r.out().contains("--help"), r.toString());
        assertFalse(r.out().contains("until an embedded default model ships"), r.toString());
        if (command.equals("train")) {
            assertTrue(r.out().contains("Required unless --vision and --lm are given"), r.toString());
        } else if (!command.equals("parity")) {
            assertTrue(r.out().contains("--model"), r.toString());
            assertTrue(r.out().contains("Default: the embedded default model"), r.toString());
        }
    }

    @Test
    void should_list_exactly_the_subcommands_when_root_help_is_asked() {
        Result r = CliRunner.run("--help");

        assertEquals(0, r.exitCode(), r.toString());
        for (String c : List.of("demo", "ask", "chat", "describe", "index", "search", "serve", "parity", "train",
                "eval")) {
            assertTrue(r.out().contains("  " + c + " "), c + " missing: " + r);
        }
    }

    @Test
    void should_show_usage_and_exit_2_when_no_command_is_given() {
        Result r = CliRunner.run();

        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Usage: vlalign"), r.toString());
        assertTrue(r.out().isEmpty(), r.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown option              | --bogus q                         | --bogus
            missing query               |                                   | QUERY
            beams and sampling combined | --beams 3 --temperature 0.7 what? | --beams cannot be combined
            value out of range          | --top-p 1.5 q                     | topP must be in (0, 1] but was 1.5
            not a number                | --beams many q                    | many
            seed without sampling       | --seed 5 q                        | --seed
            """)
    void should_exit_2_naming_the_mistake_when_ask_is_misused(String mistake, String arguments, String named) {
        List<String> args = new ArrayList<>(List.of("ask", "-m", model.toString(), "-i", redImage.toString()));
        if (arguments != null) {
            args.addAll(List.of(arguments.split(" ")));
        }

        Result r = CliRunner.run(args.toArray(String[]::new));

        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains(named), r.toString());
        assertTrue(FakeVlModel.CONFIGS.isEmpty(), "the model must not be used on a usage error");
    }

    @Test
    void should_report_a_mistyped_option_as_unknown_with_a_suggestion_not_as_a_missing_one() {
        Result r = CliRunner.run("ask", "--model", model.toString(), "--imag", redImage.toString(), "what?");

        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Unknown option: '--imag'"), r.toString());
        assertTrue(r.err().contains("Did you mean: --image?"), r.toString());
        assertFalse(r.err().contains("Missing required"), r.toString());
    }

    @Test
    void should_exit_2_when_image_option_is_missing_even_without_model() {
        // --model is optional (the default model); the other required inputs stay required.
        Result r = CliRunner.run("ask", "what?");

        assertEquals(2, r.exitCode(), r.toString());
        assertTrue(r.err().contains("--image"), r.toString());
        assertFalse(r.err().contains("Using the embedded default model"), "nothing is loaded: " + r);
    }

    @Test
    void should_exit_2_when_subcommand_is_unknown() {
        Result r = CliRunner.run("bogus", "--model", model.toString());

        assertEquals(2, r.exitCode(), r.toString());
    }

    @Test
    void should_explain_and_exit_1_when_model_folder_is_missing() {
        Path missing = tmp.resolve("no-such-model");

        // The image is missing too: the model, the first thing to fix, is reported.
        Result r = CliRunner.run("ask", "--model", missing.toString(), "--image", tmp.resolve("x.png").toString(),
                "what?");

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Model folder " + missing + " does not exist"), r.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r);
        assertTrue(r.out().isEmpty(), r.toString());
    }

    @Test
    void should_explain_and_exit_1_when_model_folder_has_no_config() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));

        Result r = CliRunner.run("describe", "--model", empty.toString(), "--image", redImage.toString());

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("no config.json"), r.toString());
    }

    @Test
    void should_print_loader_message_and_exit_1_when_checkpoint_is_damaged() throws IOException {
        Path broken = FakeModelProvider.writeCheckpoint(tmp.resolve("broken"), true);

        Result r = CliRunner.run("ask", "--model", broken.toString(), "--image", redImage.toString(), "what?");

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("fake.weight"), r.toString());
        assertTrue(r.err().contains("truncated"), r.toString());
        assertFalse(r.err().contains("\tat "), r.toString());
    }

    @Test
    void should_print_stack_trace_when_verbose() throws IOException {
        Path broken = FakeModelProvider.writeCheckpoint(tmp.resolve("broken"), true);

        Result r = CliRunner.run("ask", "--verbose", "--model", broken.toString(), "--image", redImage.toString(),
                "what?");

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("org.vlalign.CheckpointException"), r.toString());
        assertTrue(r.err().contains("\tat "), r.toString());
    }

    @Test
    void should_report_the_image_error_and_exit_1_when_image_is_corrupt() throws IOException {
        Path corrupt = TestImages.corruptJpeg(tmp.resolve("broken.jpg"));

        Result r = CliRunner.run("ask", "--model", model.toString(), "--image", corrupt.toString(), "what?");

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains("Error: "), r.toString());
        assertTrue(r.err().contains(corrupt.getFileName().toString()), "names the file: " + r);
        assertFalse(r.err().contains("\tat "), r.toString());
    }

    @Test
    void should_exit_1_naming_the_file_when_image_does_not_exist() {
        Path missing = tmp.resolve("nope.png");

        Result r = CliRunner.run("ask", "--model", model.toString(), "--image", missing.toString(), "what?");

        assertEquals(1, r.exitCode(), r.toString());
        assertTrue(r.err().contains(missing.toString()), r.toString());
        assertTrue(r.err().contains("does not exist"), r.toString());
    }

    @Test
    void should_stream_the_answer_then_print_a_summary_when_asking() {
        Result r = CliRunner.run("ask", "--model", model.toString(), "--image", redImage.toString(), "what", "colour?");

        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("a red picture for 'what colour?'" + System.lineSeparator(), r.out());
        assertEquals(List.of("what colour?"), FakeVlModel.QUERIES);
        // Summary: finish reason, prompt and new token counts, timings.
        assertTrue(r.err().contains("[EOS | 42 prompt + 5 new tokens | image 0.03 s, prefill 0.03 s, decode 0.04 s"),
                r.toString());
    }

    @Test
    void should_print_the_same_answer_when_streaming_is_off() {
        Result streamed = CliRunner.run("ask", "-m", model.toString(), "-i", redImage.toString(), "colour?");
        Result whole = CliRunner.run("ask", "-m", model.toString(), "-i", redImage.toString(), "--no-stream",
                "colour?");

        assertEquals(0, whole.exitCode(), whole.toString());
        assertEquals(streamed.out(), whole.out());
    }

    @Test
    void should_report_max_tokens_when_answer_is_cut() {
        Result r = CliRunner.run("ask", "-m", model.toString(), "-i", redImage.toString(), "--max-new-tokens", "2",
                "colour?");

        assertEquals(0, r.exitCode(), r.toString());
        assertEquals("a red" + System.lineSeparator(), r.out());
        assertTrue(r.err().contains("[MAX_TOKENS | 42 prompt + 2 new tokens"), r.toString());
    }

    @Test
    void should_use_greedy_decoding_by_default() {
        CliRunner.run("ask", "-m", model.toString(), "-i", redImage.toString(), "q");

        GenerationConfig config = FakeVlModel.CONFIGS.get(0);
        assertInstanceOf(DecodingStrategy.Greedy.class, config.strategy());
        assertEquals(GenerationConfig.DEFAULT.maxNewTokens(), config.maxNewTokens());
    }

    @Test
    void should_pass_beam_search_to_the_model_when_beams_given() {
        Result r = CliRunner.run("ask", "-m", model.toString(), "-i", redImage.toString(), "--beams", "3",
                "--max-new-tokens", "7", "q");

        assertEquals(0, r.exitCode(), r.toString());
        GenerationConfig config = FakeVlModel.CONFIGS.get(0);
        assertEquals(DecodingStrategy.Beam.of(3), config.strategy());
        assertEquals(7, config.maxNewTokens());
    }

    @Test
    void should_pass_sampling_and_seed_to_the_model_when_temperature_given() {
        Result r = CliRunner.run("ask", "-m", model.toString(), "-i", redImage.toString(), "--temperature", "0.7",
                "--top-p", "0.9", "--top-k", "40", "--seed", "1234", "q");

        assertEquals(0, r.exitCode(), r.toString());
        GenerationConfig config = FakeVlModel.CONFIGS.get(0);
        assertEquals(new DecodingStrategy.Sampling(0.7, 40, 0.9), config.strategy());
        assertEquals(1234L, config.seed().getAsLong());
    }

    @Test
    void should_ask_with_an_empty_query_when_describing() throws IOException {
        Path blue = TestImages.png(tmp.resolve("blue.png"), Color.BLUE);

        Result r = CliRunner.run("describe", "--model", model.toString(), "--image", blue.toString());

        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(List.of(""), FakeVlModel.QUERIES);
        assertEquals("a blue picture" + System.lineSeparator(), r.out());
    }

    @Test
    void should_answer_each_line_until_quit_when_chatting() {
        Result r = CliRunner.runWithInput("what colour?\n\n  second question  \n/quit\nnever asked\n",
                "chat", "--model", model.toString(), "--image", redImage.toString());

        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(List.of("what colour?", "second question"), FakeVlModel.QUERIES);
        String nl = System.lineSeparator();
        assertEquals("turn 1: a red picture for 'what colour?'" + nl
                + "turn 2: a red picture for 'second question'" + nl, r.out());
        assertTrue(r.err().contains("/quit"), "the banner explains how to leave: " + r);
    }

    @Test
    void should_end_the_chat_at_end_of_input() {
        Result r = CliRunner.runWithInput("only one", "chat", "-m", model.toString(), "-i", redImage.toString());

        assertEquals(0, r.exitCode(), r.toString());
        assertEquals(List.of("only one"), FakeVlModel.QUERIES);
    }

    @Test
    void should_keep_chatting_when_one_question_is_rejected() {
        String tooLong = "x".repeat(2000);

        Result r = CliRunner.runWithInput(tooLong + "\nshort\n", "chat", "-m", model.toString(), "-i",
                redImage.toString());

        assertEquals(0, r.exitCode(), r.toString());
        assertTrue(r.err().contains("does not fit"), r.toString());
        assertTrue(r.out().contains("turn 1: a red picture for 'short'"), r.toString());
    }
}
