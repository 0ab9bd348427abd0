package org.vlalign.model.recipe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.core.checkpoint.SafetensorsDtype;
import org.vlalign.core.checkpoint.SafetensorsReader;
import org.vlalign.core.checkpoint.SafetensorsWriter;

class DefaultModelPackagerTest {

    @TempDir Path tmp;

    @Test
    void should_store_float32_weights_as_float16_and_keep_other_tensors_exact() {
        Path source = tmp.resolve("in.safetensors");
        float[] w = {0.5f, -1.25f, 3.1415927f, 1e-3f, -7.75e-2f, 2048.5f};
        SafetensorsWriter.create()
                .metadata("format", "pt")
                .addF32("w", w, 2, 3)
                .addF32("huge", new float[] {1e6f, 1f}, 2)
                .addI64("ids", new long[] {1, -2, 3}, 3)
                .write(source);
        Path target = tmp.resolve("out.safetensors");
        DefaultModelPackager.toFloat16(source, target);
        try (SafetensorsReader r = SafetensorsReader.open(target)) {
            assertEquals(SafetensorsDtype.F16, r.info("w").type());
            float[] back = r.readFloats("w");
            for (int i = 0; i < w.length; i++) {
                // float16 keeps 11 significant bits: relative error at most 2^-11
                assertEquals(w[i], back[i], Math.abs(w[i]) / 2048f, "element " + i);
            }
            assertEquals(SafetensorsDtype.F32, r.info("huge").type(), "beyond float16's range stays float32");
            assertArrayEquals(new float[] {1e6f, 1f}, r.readFloats("huge"));
            assertArrayEquals(new long[] {1, -2, 3}, r.readLongs("ids"));
            assertEquals("pt", r.metadata().get("format"));
        }
    }

    @Test
    void should_list_every_file_with_its_size_and_sha256_in_the_manifest() throws Exception {
        Files.createDirectories(tmp.resolve("a/b"));
        Files.writeString(tmp.resolve("a/b/x.txt"), "abc");
        Files.writeString(tmp.resolve("y.txt"), "");
        DefaultModelPackager.writeManifest(tmp);
        List<String> lines = Files.readAllLines(tmp.resolve(DefaultModelPackager.MANIFEST), StandardCharsets.UTF_8);
        assertEquals(List.of(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\t3\ta/b/x.txt",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\t0\ty.txt"), lines);
    }
}
