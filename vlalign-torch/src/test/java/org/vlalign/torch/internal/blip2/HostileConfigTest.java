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

    @Test
    void should_refuse_a_negative_vision_layer_count() throws IOException {
        CheckpointException e = loadWith("vision",
                c -> c.getAsJsonObject("vision_config").addProperty("num_hidden_layers", -1));
        assertTrue(e.getMessage().contains("vision_config.num_hidden_layers is -1"), e.getMessage());
    }

    @Test
    void should_refuse_a_qformer_without_layers() throws IOException {
        CheckpointException e = loadWith("qformer",
                c -> c.getAsJsonObject("qformer_config").addProperty("num_hidden_layers", 0));
        assertTrue(e.getMessage().contains("qformer_config.num_hidden_layers is 0"), e.getMessage());
    }

    @Test
    void should_refuse_an_image_size_beyond_the_bound() throws IOException {
        CheckpointException e = loadWith("image",
                c -> c.getAsJsonObject("vision_config").addProperty("image_size", 100_000));
        assertTrue(e.getMessage().contains("vision_config.image_size is 100000"), e.getMessage());
    }

    @Test
    void should_refuse_a_width_that_the_heads_do_not_split() throws IOException {
        CheckpointException e = loadWith("heads",
                c -> c.getAsJsonObject("vision_config").addProperty("num_attention_heads", 7));
        assertTrue(e.getMessage().contains("must be a multiple of vision_config.num_attention_heads (7)"),
                e.getMessage());
    }

    @Test
    void should_refuse_an_image_that_is_not_a_whole_number_of_patches() throws IOException {
        CheckpointException e = loadWith("patches",
                c -> c.getAsJsonObject("vision_config").addProperty("patch_size", 7));
        assertTrue(e.getMessage().contains("must be a multiple of vision_config.patch_size (7)"), e.getMessage());
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
