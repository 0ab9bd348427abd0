package org.vlalign.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.Answer;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.VlModel;
import org.vlalign.torch.TorchModels;

/** The benchmark checkpoints load through the SDK's own loaders, so their key names and shapes are right. */
class RandomCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void should_write_a_sharded_llava_folder_that_loads_and_answers() throws IOException {
        Path dir = RandomCheckpoint.write("tiny-llava", tmp.resolve("llava"), 100_000);
        try (Stream<Path> files = Files.list(dir)) {
            long shards = files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors"))
                    .count();
            assertTrue(shards > 1, "small shards exercise the index");
        }
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")));
        try (VlModel model = TorchModels.load(dir)) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(40, 30,
                    java.awt.image.BufferedImage.TYPE_INT_RGB);
            Answer a = model.ask(ImageInput.of(img), "t5 t6",
                    GenerationConfig.builder().maxNewTokens(3).minNewTokens(3).build());
            assertEquals(3, a.tokenIds().length);
        }
    }
}
