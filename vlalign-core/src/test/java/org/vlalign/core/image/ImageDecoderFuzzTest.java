package org.vlalign.core.image;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.vlalign.ImageInput;
import org.vlalign.VlalignException;

/**
 * Fuzzes {@link ImageDecoder#decode} on encoded bytes (PNG, JPEG, GIF, BMP, anything ImageIO sniffs):
 * any byte string is either an RGB image within the decoder's limits or fails with a {@link
 * VlalignException}; any other throwable, an out-of-memory or a hang is a finding.
 *
 * <p>The pixel limit is lowered to 4 megapixels so that a hostile header is refused before a fuzzing
 * run spends its time decoding one huge image. Without {@code JAZZER_FUZZ=1} this replays the seeds
 * in {@code ImageDecoderFuzzTestInputs/fuzz_decode}.
 */
class ImageDecoderFuzzTest {
    private static final long MAX_PIXELS = 4L << 20;
    private static final ImageDecoder DECODER = ImageDecoder.withDefaults().maxPixels(MAX_PIXELS);

    @FuzzTest(maxDuration = "60s")
    void fuzz_decode(byte[] data) {
        RgbImage image;
        try {
            image = DECODER.decode(ImageInput.of(data));
        } catch (VlalignException expected) {
            return; // the contract: a typed failure saying what is wrong with the image
        }
        long pixels = (long) image.width() * image.height();
        if (image.width() < 1 || image.height() < 1 || pixels > MAX_PIXELS
                || image.rgb().length != pixels * 3) {
            throw new AssertionError("decoded to an invalid image " + image);
        }
    }
}
