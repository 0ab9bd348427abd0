package org.vlalign.defaultmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vlalign.model.world.WordLevelTokenizerJson;
import org.vlalign.model.world.World;

/**
 * The shipped tokenizer files are exactly what the recipe's tokenizer writer produces for the world's vocabulary.
 * The shipped model predates box questions, so they match {@code World.vocabulary()}; a model retrained with box
 * questions ships {@code RandomCheckpoints.worldVocabulary()} (which adds {@code World.boxVocabulary()}), and this
 * test then compares with that.
 */
class DefaultModelTokenizerTest {

    @TempDir Path tmp;

    @ParameterizedTest
    @CsvSource({
        "llama, tokenizer.json", "llama, tokenizer_config.json", "llama, special_tokens_map.json",
        "blip2, tokenizer.json", "blip2, tokenizer_config.json", "blip2, special_tokens_map.json"})
    void should_ship_the_tokenizer_file_the_recipe_writes_byte_for_byte(String model, String name) throws Exception {
        WordLevelTokenizerJson.write(tmp.resolve("tokenizer.json"), World.vocabulary());
        try (InputStream shipped = DefaultModel.class.getResourceAsStream(model + "/" + name)) {
            assertNotNull(shipped, model + "/" + name);
            assertArrayEquals(shipped.readAllBytes(), Files.readAllBytes(tmp.resolve(name)), model + "/" + name);
        }
    }
}
