package org.vlalign.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vlalign.ImageInput;

/**
 * Checks every expected tensor of the {@code preprocess_*} parity cases against the Hugging Face
 * reference with the tolerance given in each case's {@code case.json}, and reports how exact the
 * match is (the uint8 resize is expected to be bit-identical on PNG inputs).
 */
class PreprocessParityTest {
    private static final Pattern INDEXED = Pattern.compile("^(\\w+?)_(\\d+)$");

    static Stream<Path> cases() throws IOException {
        String dir = System.getProperty("vlalign.parity.dir");
        Assumptions.assumeTrue(dir != null, "vlalign.parity.dir is not set");
        Path root = Path.of(dir);
        Assumptions.assumeTrue(Files.isDirectory(root), "no parity dir " + root);
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> Files.isRegularFile(p.resolve("case.json")))
                    .filter(p -> kind(p).startsWith("preprocess"))
                    .sorted()
                    .forEach(out::add);
        }
        Assumptions.assumeFalse(out.isEmpty(), "no preprocess cases in " + root);
        return out.stream();
    }

    private static String kind(Path caseDir) {
        try {
            JsonObject c = JsonParser.parseString(Files.readString(caseDir.resolve("case.json")))
                    .getAsJsonObject();
            String name = c.has("name") ? c.get("name").getAsString() : "";
            String kind = c.has("kind") ? c.get("kind").getAsString() : "";
            return kind.startsWith("preprocess") ? kind : name;
        } catch (IOException e) {
            return "";
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void should_match_hf_reference_within_case_tolerance(Path caseDir) throws IOException {
        JsonObject caseJson = JsonParser.parseString(Files.readString(caseDir.resolve("case.json")))
                .getAsJsonObject();
        ImagePreprocessor pre =
                ImagePreprocessor.fromFile(caseDir.resolve("preprocessor_config.json"));
        Map<String, TestSafetensors.Tensor> expected =
                TestSafetensors.read(caseDir.resolve("expected.safetensors"));
        List<String> imageFiles = imageFiles(caseJson);
        JsonObject expectedSpec = caseJson.getAsJsonObject("expected");
        assertFalse(expectedSpec.keySet().isEmpty(), "case.json lists no expected tensors");
        List<String> failures = new ArrayList<>();
        for (String name : expectedSpec.keySet()) {
            JsonObject spec = expectedSpec.getAsJsonObject(name);
            TestSafetensors.Tensor tensor = expected.get(name);
            assertTrue(tensor != null, "expected.safetensors lacks " + name);
            Matcher m = INDEXED.matcher(name);
            assertTrue(m.matches(), "cannot tell the image of expected tensor " + name);
            String what = m.group(1);
            Path image = caseDir.resolve(imageFiles.get(Integer.parseInt(m.group(2))));
            RgbImage decoded = ImageDecoder.withDefaults().decode(ImageInput.of(image));
            double[] actual;
            long[] actualShape;
            switch (what) {
                case "decoded" -> {
                    actual = toDoubles(decoded);
                    actualShape = new long[] {decoded.height(), decoded.width(), 3};
                }
                case "resized", "cropped" -> {
                    RgbImage r = pre.resize(decoded);
                    actual = toDoubles(r);
                    actualShape = new long[] {r.height(), r.width(), 3};
                }
                case "pixel_values" -> {
                    PixelValues pv = pre.preprocess(ImageInput.of(image));
                    float[] d = pv.data();
                    actual = new double[d.length];
                    for (int i = 0; i < d.length; i++) {
                        actual[i] = d[i];
                    }
                    actualShape = new long[] {1, pv.channels(), pv.height(), pv.width()};
                }
                default -> throw new AssertionError("unknown expected tensor kind " + name);
            }
            assertArrayEquals(tensor.shape(), actualShape, "shape of " + name);
            double[] want = tensor.dtype().equals("U8") ? toDoubles(tensor.unsignedBytes())
                    : toDoubles(tensor.floats());
            JsonObject tol = spec.getAsJsonObject("tolerance");
            double atol = tol.get("atol").getAsDouble();
            double meanAbsMax = tol.has("mean_abs_max") ? tol.get("mean_abs_max").getAsDouble()
                    : Double.POSITIVE_INFINITY;
            double maxAbs = 0;
            double sumAbs = 0;
            int differing = 0;
            for (int i = 0; i < want.length; i++) {
                double d = Math.abs(actual[i] - want[i]);
                maxAbs = Math.max(maxAbs, d);
                sumAbs += d;
                if (d != 0) {
                    differing++;
                }
            }
            double meanAbs = sumAbs / want.length;
            System.out.printf("%s/%s: max_abs=%.6g mean_abs=%.6g differing=%d/%d (atol=%s,"
                    + " mean_abs_max=%s)%n", caseDir.getFileName(), name, maxAbs, meanAbs,
                    differing, want.length, atol, meanAbsMax);
            if (maxAbs > atol || meanAbs > meanAbsMax) {
                failures.add(name + ": max_abs=" + maxAbs + " mean_abs=" + meanAbs);
            }
        }
        assertEquals(List.of(), failures, "tensors outside tolerance in " + caseDir);
    }

    /** Image files in case.json's "files", in index order (image0, image1, ...). */
    private static List<String> imageFiles(JsonObject caseJson) {
        List<String> names = new ArrayList<>();
        for (String f : caseJson.getAsJsonObject("files").keySet()) {
            if (f.matches("image\\d+\\.\\w+")) {
                names.add(f);
            }
        }
        names.sort((a, b) -> Integer.compare(index(a), index(b)));
        for (int i = 0; i < names.size(); i++) {
            assertEquals(i, index(names.get(i)), "image files are not numbered 0.." + names);
        }
        return names;
    }

    private static int index(String imageFile) {
        return Integer.parseInt(imageFile.replaceAll("^image(\\d+)\\..*$", "$1"));
    }

    private static double[] toDoubles(RgbImage image) {
        byte[] b = image.rgb();
        double[] out = new double[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xFF;
        }
        return out;
    }

    private static double[] toDoubles(int[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    private static double[] toDoubles(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }
}
