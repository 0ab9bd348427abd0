package org.vlalign.torch.internal.blip2;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.testing.TinyBlip;
import org.vlalign.CheckpointException;
import org.vlalign.testing.TinyBlip.Kind;

/** Edited configs fail at load with a {@link CheckpointException} naming the field, never load and answer. */
class HostileConfigTest {
    @TempDir
    Path tmp;

    private CheckpointException loadWith(String name, Consumer<JsonObject> edit) throws IOException {
        Path dir = TinyBlip.write(tmp.resolve(name), Kind.INSTRUCTBLIP, 3, 1);
        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        edit.accept(config);
        Files.writeString(dir.resolve("config.json"), config.toString());
        return assertThrows(CheckpointException.class, () -> BlipFeatureExtractor.load(dir).close());
    }

    /** Each row: the sub-config, the key set in it, the value, and what the message must say. */
    @ParameterizedTest(name = "{0}.{1} = {2}")
    @CsvSource(delimiter = '|', textBlock = """
            vision_config  | num_hidden_layers   | -1     | vision_config.num_hidden_layers is -1
            qformer_config | num_hidden_layers   | 0      | qformer_config.num_hidden_layers is 0
            vision_config  | image_size          | 100000 | vision_config.image_size is 100000
            vision_config  | num_attention_heads | 7      | must be a multiple of vision_config.num_attention_heads (7)
            vision_config  | patch_size          | 7      | must be a multiple of vision_config.patch_size (7)
            """)
    void should_refuse_an_edited_size_naming_the_field(String section, String key, int value, String expected)
            throws IOException {
        CheckpointException e = loadWith(section + "-" + key, c -> c.getAsJsonObject(section).addProperty(key, value));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void should_refuse_a_preprocessor_size_of_100000() throws IOException {
        Path dir = TinyBlip.write(tmp.resolve("pre"), Kind.INSTRUCTBLIP, 3, 1);
        Files.writeString(dir.resolve("preprocessor_config.json"), Files.readString(dir.resolve("preprocessor_config.json"))
                .replaceAll("\"height\"\\s*:\\s*\\d+", "\"height\": 100000")
                .replaceAll("\"width\"\\s*:\\s*\\d+", "\"width\": 100000"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> BlipFeatureExtractor.load(dir).close());
        assertTrue(e.getMessage().contains("size.height must be in [1, 8192] but was 100000"), e.getMessage());
    }
}
