package org.vlalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.primitives.Bytes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.vlalign.torch.TorchModels;
import org.vlalign.train.TrainingLoop;

/**
 * The CLI is the product's front door and loads models the way an application does: through {@code
 * VlModel.load} and {@code TorchModels}, never through the engine's implementation classes, and trains through
 * vlalign-train's public package, never its engine-side SPI. The check reads the compiled classes, so a fully
 * qualified name in the code counts as much as an import.
 */
class PublicApiOnlyTest {
    /** How a class file names a type of a fenced package (internal binary names use slashes). */
    private static final List<byte[]> FENCED = List.of("org/vlalign/torch/internal/", "org/vlalign/train/spi/")
            .stream().map(p -> p.getBytes(StandardCharsets.US_ASCII)).toList();

    private static Path classesOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean references(Path classFile) {
        try {
            return references(Files.readAllBytes(classFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean references(byte[] classBytes) {
        return FENCED.stream().anyMatch(fenced -> Bytes.indexOf(classBytes, fenced) >= 0);
    }

    @Test
    void should_use_no_class_of_the_torch_internal_packages() throws IOException {
        Path classes = classesOf(ModelParts.class);
        assertTrue(Files.isDirectory(classes), "vlalign-cli's classes are a folder in the build: " + classes);
        List<String> offenders;
        long scanned;
        try (Stream<Path> files = Files.walk(classes)) {
            List<Path> classFiles = files.filter(p -> p.toString().endsWith(".class")).toList();
            scanned = classFiles.size();
            offenders = classFiles.stream()
                    .filter(PublicApiOnlyTest::references)
                    .map(p -> classes.relativize(p).toString())
                    .toList();
        }
        assertTrue(scanned > 20, "scanned " + scanned + " classes in " + classes);
        assertEquals(List.of(), offenders, "these vlalign-cli classes use org.vlalign.torch.internal or"
                + " org.vlalign.train.spi; load models through VlModel.load or TorchModels, train through"
                + " org.vlalign.train, and use the org.vlalign interfaces instead");
    }

    @Test
    void should_detect_a_reference_to_the_internal_packages_where_there_is_one() throws IOException {
        // TorchModels composes the internal loaders, so the scan must see them in its class file
        try (InputStream in = TorchModels.class.getResourceAsStream("TorchModels.class")) {
            assertTrue(references(in.readAllBytes()), "the scan finds nothing even where it should");
        }
        // the training loop drives objectives through the SPI
        try (InputStream in = TrainingLoop.class.getResourceAsStream("TrainingLoop.class")) {
            assertTrue(references(in.readAllBytes()), "the scan does not see the training SPI");
        }
        try (InputStream in = VlalignCli.class.getResourceAsStream("VlalignCli.class")) {
            assertFalse(references(in.readAllBytes()), "VlalignCli names no internal class");
        }
    }
}
