package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.WeightFormat;
import org.vlalign.llm.Llama;

/** The launcher's memory options: sized from a Llama-family model for the commands that run one. */
class LauncherMemoryTest {
    private static final long RAM = 16L << 30;
    private static final String LLAMA_7B = "\"model_type\": \"llama\", \"hidden_size\": 4096,"
            + " \"intermediate_size\": 11008, \"num_hidden_layers\": 32, \"num_attention_heads\": 32,"
            + " \"vocab_size\": 32000, \"max_position_embeddings\": 4096";

    @TempDir
    Path tmp;

    @Test
    void a_llama_folder_gets_its_heap_for_the_chosen_weights_and_a_capped_young_generation() throws IOException {
        Path llama = folder("llama", "{" + LLAMA_7B + "}");
        long q8 = Llama.heapBytes(org.vlalign.llm.LlamaConfig.fromJson(com.google.gson.JsonParser
                .parseString("{" + LLAMA_7B + "}").getAsJsonObject()), WeightFormat.Q8);
        String expected = "-Xmx" + (q8 >> 20) + "m " + LauncherMemory.YOUNG;
        assertEquals(expected, LauncherMemory.options(List.of("generate", "--model", llama.toString(), "hi"), RAM));
        assertEquals(expected, LauncherMemory.options(List.of("generate", "-m", llama.toString(), "--weights", "q8",
                "hi"), RAM));
        assertEquals(expected, LauncherMemory.options(List.of("ask", "--model=" + llama, "--weights=Q8"), RAM));
        String q4 = LauncherMemory.options(List.of("chat", "--model", llama.toString(), "--weights", "q4"), RAM);
        assertEquals(true, Long.parseLong(q4.substring(4, q4.indexOf("m "))) < q8 >> 20, q4);
    }

    @Test
    void a_vision_language_folder_is_sized_by_its_llama_text_config() throws IOException {
        Path llava = folder("llava", "{\"model_type\": \"llava\", \"text_config\": {" + LLAMA_7B + "}}");
        Path llama = folder("llama", "{" + LLAMA_7B + "}");
        assertEquals(LauncherMemory.options(List.of("ask", "--model", llama.toString()), RAM),
                LauncherMemory.options(List.of("ask", "--model", llava.toString(), "--image", "x.png", "q"), RAM));
    }

    @Test
    void the_heap_stays_between_one_gigabyte_and_nine_tenths_of_ram() throws IOException {
        Path llama = folder("llama", "{" + LLAMA_7B + "}");
        assertEquals("-Xmx" + ((4L << 30) / 10 * 9 >> 20) + "m " + LauncherMemory.YOUNG,
                LauncherMemory.options(List.of("generate", "--model", llama.toString(), "--weights", "fp32"),
                        4L << 30));
        Path tiny = folder("tiny", "{\"model_type\": \"llama\", \"hidden_size\": 8, \"intermediate_size\": 16,"
                + " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"vocab_size\": 10}");
        assertEquals("-Xmx1024m " + LauncherMemory.YOUNG,
                LauncherMemory.options(List.of("generate", "--model", tiny.toString()), RAM));
    }

    @Test
    void other_commands_and_unknown_models_keep_three_quarters_of_ram() throws IOException {
        Path llama = folder("llama", "{" + LLAMA_7B + "}");
        Path clip = folder("clip", "{\"model_type\": \"clip\"}");
        Path broken = folder("broken", "{not json");
        for (List<String> args : List.<List<String>>of(
                List.of("serve", "--model", llama.toString()),
                List.of("index", "--model", llama.toString(), "images/"),
                List.of("demo"),
                List.of("ask", "--image", "x.png", "no model"),
                List.of("ask", "--model", clip.toString()),
                List.of("ask", "--model", broken.toString()),
                List.of("ask", "--model", tmp.resolve("missing").toString()),
                List.of("generate", "--model", llama.toString(), "--weights", "q3"),
                List.of())) {
            assertEquals(LauncherMemory.DEFAULT, LauncherMemory.options(args, RAM), args.toString());
        }
        assertEquals(LauncherMemory.DEFAULT,
                LauncherMemory.options(List.of("generate", "--model", llama.toString()), 0), "RAM unknown");
        // a config.json beyond the project's bound for configs is not read at all
        Path huge = folder("huge", "{" + LLAMA_7B + ", \"pad\": \"" + "x".repeat(17 << 20) + "\"}");
        assertEquals(LauncherMemory.DEFAULT, LauncherMemory.options(List.of("generate", "--model", huge.toString()), RAM));
    }

    private Path folder(String name, String config) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("config.json"), config, StandardCharsets.UTF_8);
        return dir;
    }
}
