package org.vlalign.core.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.SplitFeatureExtractor;
import org.vlalign.core.contract.AbstractFeatureExtractorContractTest;
import org.vlalign.spi.AttendingFeatureExtractor;
import org.vlalign.spi.PatchAttention;

/** The split extractor keeps the extractor contract, answers from one part and searches with the other. */
class SplitFeatureExtractorContractTest extends AbstractFeatureExtractorContractTest {
    @Override
    protected FeatureExtractor newExtractor() {
        return SplitFeatureExtractor.of(FakeFeatureExtractor.blip2(), FakeFeatureExtractor.clip());
    }

    private static ImageInput image() {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                img.setRGB(x, y, x < 4 ? 0xff0000 : 0x0000ff);
            }
        }
        return ImageInput.of(img);
    }

    @Test
    void should_take_features_from_the_answering_part_and_embeddings_from_the_searching_part() {
        FakeFeatureExtractor answering = FakeFeatureExtractor.blip2();
        FakeFeatureExtractor searching = FakeFeatureExtractor.clip();
        try (FeatureExtractor split = SplitFeatureExtractor.of(answering, searching)) {
            ImageInput image = image();
            assertEquals(answering.extract(image, "q"), split.extract(image, "q"));
            assertEquals(answering.featureWidth(), split.featureWidth());
            assertEquals(answering.acceptsInstruction(), split.acceptsInstruction());
            assertEquals(searching.embeddingSpace(), split.embeddingSpace());
            assertEquals(searching.embedImage(image), split.embedImage(image));
            assertEquals(searching.embedText("a red square"), split.embedText("a red square"));
            assertTrue(split.canEmbed());
            assertFalse(split instanceof AttendingFeatureExtractor, "the fake answering side does not attend");
        }
        assertEquals(1, answering.closeCalls());
        assertEquals(1, searching.closeCalls());
    }

    @Test
    void should_refuse_a_searching_part_that_cannot_embed() {
        FakeFeatureExtractor answering = FakeFeatureExtractor.blip2();
        FakeFeatureExtractor cannot = new FakeFeatureExtractor("plain", 2, 2, 8, false,
                FakeFeatureExtractor.Search.NONE);
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> SplitFeatureExtractor.of(answering, cannot));
        assertTrue(e.getMessage().contains("no search projections"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> SplitFeatureExtractor.of(null, answering));
    }

    @Test
    void should_attend_when_the_answering_part_does() {
        Attending attending = new Attending();
        try (FeatureExtractor split = SplitFeatureExtractor.of(attending, FakeFeatureExtractor.clip())) {
            AttendingFeatureExtractor a = assertInstanceOf(AttendingFeatureExtractor.class, split);
            ImageInput image = image();
            PatchAttention p = a.extractWithPatchAttention(image, "");
            assertEquals(attending.extract(image, ""), p.features());
            assertEquals(2, p.gridWidth());
        }
    }

    /** A fake whose every row attends to all four patches of a 2×2 grid alike. */
    private static final class Attending implements AttendingFeatureExtractor {
        private final FakeFeatureExtractor inner = FakeFeatureExtractor.blip2();

        @Override
        public PatchAttention extractWithPatchAttention(ImageInput image, String instruction) {
            Features f = inner.extract(image, instruction);
            float[] weights = new float[f.rows() * 4];
            java.util.Arrays.fill(weights, 0.25f);
            return new PatchAttention(f, 2, 2, weights);
        }

        @Override
        public Features extract(ImageInput image, String instruction) {
            return inner.extract(image, instruction);
        }

        @Override
        public int featureWidth() {
            return inner.featureWidth();
        }

        @Override
        public boolean canEmbed() {
            return false;
        }

        @Override
        public EmbeddingSpace embeddingSpace() {
            return inner.embeddingSpace();
        }

        @Override
        public Features embedImage(ImageInput image) {
            return inner.embedImage(image);
        }

        @Override
        public Features embedText(String text) {
            return inner.embedText(text);
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
