package org.vlalign.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.vlalign.ImageInput;
import org.vlalign.core.image.PixelValues;
import org.vlalign.torch.internal.blip2.Blip2Config;
import org.vlalign.torch.internal.blip2.BlipFeatureExtractor;
import org.vlalign.torch.internal.vit.BlipVisionModel;

/**
 * Parity of {@code Blip2Model} features: the vision encoder's last hidden state and (double
 * post-LayerNorm) pooled output, and {@code get_qformer_features} (queries only, input LayerNorm
 * {@code qformer.layernorm}). Also checks that the image preprocessor reproduces {@code pixel_values}
 * from the case's image files within 0.05.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class Blip2QFormerParityCheck implements ParityCheck {
    /** Tolerance of the preprocessing check: resampling differs slightly from Pillow's. */
    static final double PIXEL_TOLERANCE = 0.05;

    private static final Pattern IMAGE_FILE =
            Pattern.compile("image(\\d+)\\.(png|jpg|jpeg)", Pattern.CASE_INSENSITIVE);

    @Override
    public String kind() {
        return "blip2_qformer";
    }

    @Override
    public void run(ParityCase c, ParityReport report) throws Exception {
        try (BlipFeatureExtractor extractor = load(c);
                NDManager call = extractor.newCallManager()) {
            NDArray pixels = pixelValues(c, report, extractor, call);
            BlipVisionModel.Output vision = compareVision(c, report, extractor, pixels);
            NDArray qformer = extractor.qformerOutput(call, vision.lastHiddenState(), null, null);
            compareIfExpected(c, report, "qformer_last_hidden_state", qformer);
            compareIfExpected(c, report, "qformer_pooler_output", qformer.get(":, 0, :"));
        }
    }

    /** Loads the case's checkpoint as a feature extractor (no tokenizer: ids come from the case). */
    static BlipFeatureExtractor load(ParityCase c) {
        Blip2Config config = Blip2Config.fromJson(c.model().config());
        return BlipFeatureExtractor.load(
                c.model(), config, BlipFeatureExtractor.preprocessorFor(c.dir(), config), null);
    }

    /** The case's pixel values; also reports how well the preprocessor reproduces them. */
    static NDArray pixelValues(
            ParityCase c, ParityReport report, BlipFeatureExtractor extractor, NDManager call) {
        float[] given = c.floats("pixel_values");
        long[] shape = c.shape("pixel_values");
        List<Path> images = imageFiles(c.dir());
        if (images.size() >= shape[0]) {
            int per = (int) (given.length / shape[0]);
            float[] mine = new float[given.length];
            for (int i = 0; i < shape[0]; i++) {
                PixelValues pv = extractor.preprocessor().preprocess(ImageInput.of(images.get(i)));
                float[] d = pv.data();
                if (d.length != per) {
                    report.fail("pixel_values", "preprocessor produced " + d.length + " values per image"
                            + " but the case has " + per);
                    return call.create(given, new ai.djl.ndarray.types.Shape(shape));
                }
                System.arraycopy(d, 0, mine, i * per, per);
            }
            report.compare("pixel_values", mine, PIXEL_TOLERANCE, 0, null);
        }
        return call.create(given, new ai.djl.ndarray.types.Shape(shape));
    }

    /** Runs the vision encoder and compares its outputs when expected. */
    static BlipVisionModel.Output compareVision(
            ParityCase c, ParityReport report, BlipFeatureExtractor extractor, NDArray pixels) {
        BlipVisionModel.Output vision = extractor.visionModel().forward(pixels);
        compareIfExpected(c, report, "vision_last_hidden_state", vision.lastHiddenState());
        compareIfExpected(c, report, "vision_pooler_output", vision.poolerOutput());
        return vision;
    }

    static void compareIfExpected(ParityCase c, ParityReport report, String name, NDArray actual) {
        if (c.expectedNames().contains(name)) {
            report.compare(name, actual.toFloatArray());
        }
    }

    static List<Path> imageFiles(Path dir) {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> IMAGE_FILE.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(Blip2QFormerParityCheck::imageNumber))
                    .forEach(out::add);
        } catch (IOException e) {
            return List.of();
        }
        return out;
    }

    private static int imageNumber(Path p) {
        Matcher m = IMAGE_FILE.matcher(p.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
    }
}
