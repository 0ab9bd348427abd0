package org.vlalign.core.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.EmbeddingSpace;
import org.vlalign.FeatureExtractor;
import org.vlalign.Features;
import org.vlalign.ImageDecodingException;
import org.vlalign.ImageInput;
import org.vlalign.InvalidArgumentException;
import org.vlalign.UnsupportedModelException;

/**
 * The contract every {@link FeatureExtractor} meets. Extend it and implement {@link #newExtractor()}.
 *
 * <p>One extractor is created per test class ({@link #newExtractor()} is called once, before the
 * tests, and the extractor is closed after them), so an expensive model loads once. Override
 * {@link #sampleImage()} / {@link #otherImage()} to feed real photos, and {@link #absTolerance()} /
 * {@link #relTolerance()} where batching changes the float rounding.
 *
 * <p>Every extractor must declare the width of its features ({@link FeatureExtractor#featureWidth()}) and
 * whether it embeds for search ({@link FeatureExtractor#canEmbed()}), and both must match what it does.
 * Search checks run only when {@code canEmbed()} is true; otherwise the suite checks that every search
 * method throws {@link UnsupportedModelException}.
 *
 * <p>Instances are used by one JUnit thread; the extractor under test is exercised from
 * {@link ContractSupport#THREADS} threads.
 *
 * @since 0.1.0
 */
public abstract class AbstractFeatureExtractorContractTest extends AbstractSharedSubjectTest<FeatureExtractor> {

    /**
     * Creates the extractor under test; called once per test class.
     *
     * @return a new extractor, closed by the suite
     */
    protected abstract FeatureExtractor newExtractor();

    @Override
    final FeatureExtractor createSubject() {
        return newExtractor();
    }

    /**
     * An image the extractor can decode.
     *
     * @return a 64×48 PNG by default
     */
    protected ImageInput sampleImage() {
        return ContractSupport.pngImage(64, 48, Color.RED, Color.BLUE, Color.GREEN);
    }

    /**
     * Another decodable image with different content (and a different size).
     *
     * @return a 40×56 PNG by default
     */
    protected ImageInput otherImage() {
        return ContractSupport.pngImage(40, 56, Color.YELLOW, Color.DARK_GRAY, Color.MAGENTA);
    }

    /**
     * The absolute tolerance for batch-versus-single and concurrent-versus-sequential comparisons.
     *
     * @return 1e-5 by default
     */
    protected double absTolerance() {
        return 1e-5;
    }

    /**
     * The relative tolerance for the same comparisons.
     *
     * @return 1e-4 by default
     */
    protected double relTolerance() {
        return 1e-4;
    }

    /**
     * The extractor under test.
     *
     * @return the shared extractor
     */
    protected final FeatureExtractor extractor() {
        return subject();
    }

    private boolean supportsSearch() {
        return extractor().canEmbed();
    }

    @Test
    void should_return_a_non_empty_matrix_with_the_same_shape_for_every_image() {
        Features a = extractor().extract(sampleImage());
        Features b = extractor().extract(otherImage());
        assertEquals(2, a.shape().length, "features are (tokens, hidden): " + a);
        assertTrue(a.rows() > 0 && a.cols() > 0, "features must not be empty: " + a);
        assertArrayEquals(a.shape(), b.shape(), "shape must not depend on the image size or content");
        assertNotEquals(a, b, "different images must give different features");
    }

    @Test
    void should_declare_the_width_of_the_features_it_returns() {
        int width = extractor().featureWidth();
        assertTrue(width >= 1, "featureWidth must be positive but was " + width);
        assertEquals(width, extractor().extract(sampleImage()).cols(), "extract width vs featureWidth()");
        assertEquals(width, extractor().extract(otherImage(), "What is this?").cols(),
                "extract width with an instruction vs featureWidth()");
        for (Features f : extractor().extractBatch(List.of(sampleImage(), otherImage()), List.of("", ""))) {
            assertEquals(width, f.cols(), "batch width vs featureWidth()");
        }
    }

    @Test
    void should_give_a_search_space_exactly_when_it_says_it_can_embed() {
        if (extractor().canEmbed()) {
            EmbeddingSpace space = extractor().embeddingSpace();
            assertTrue(space.dimension() >= 1, "space " + space);
        } else {
            assertThrows(UnsupportedModelException.class, extractor()::embeddingSpace);
        }
    }

    @Test
    void should_return_finite_values() {
        for (float v : extractor().extract(sampleImage()).data()) {
            assertTrue(Float.isFinite(v), "features contain " + v);
        }
    }

    @Test
    void should_be_deterministic() {
        Features first = extractor().extract(sampleImage());
        Features second = extractor().extract(sampleImage());
        ContractSupport.assertClose(first, second, absTolerance(), relTolerance(), "repeated extract");
    }

    @Test
    void should_ignore_the_instruction_when_not_instruction_aware() {
        assumeFalse(extractor().acceptsInstruction(), "extractor uses instructions");
        ContractSupport.assertClose(
                extractor().extract(sampleImage()),
                extractor().extract(sampleImage(), "What colour is the patch?"),
                absTolerance(), relTolerance(), "extract with and without instruction");
    }

    @Test
    void should_use_the_instruction_when_instruction_aware() {
        assumeTrue(extractor().acceptsInstruction(), "extractor ignores instructions");
        Features a = extractor().extract(sampleImage(), "What colour is the patch?");
        Features b = extractor().extract(sampleImage(), "Describe the image in detail.");
        assertArrayEquals(a.shape(), b.shape(), "instruction must not change the shape");
        assertNotEquals(a, b, "different instructions must give different features");
    }

    @Test
    void should_return_the_same_features_in_a_batch_as_alone() {
        List<ImageInput> images = List.of(sampleImage(), otherImage(), sampleImage());
        List<String> instructions = List.of("", "", "What is this?");
        List<Features> batch = extractor().extractBatch(images, instructions);
        assertEquals(images.size(), batch.size(), "one result per image");
        for (int i = 0; i < images.size(); i++) {
            ContractSupport.assertClose(
                    extractor().extract(images.get(i), instructions.get(i)), batch.get(i),
                    absTolerance(), relTolerance(), "batch item " + i);
        }
    }

    @Test
    void should_reject_a_batch_when_images_and_instructions_differ_in_size() {
        assertThrows(
                InvalidArgumentException.class,
                () -> extractor().extractBatch(List.of(sampleImage(), otherImage()), List.of("")));
    }

    @Test
    void should_throw_ImageDecodingException_when_the_image_is_truncated() {
        assertThrows(ImageDecodingException.class, () -> extractor().extract(ContractSupport.corruptImage()));
    }

    @Test
    void should_throw_ImageDecodingException_when_the_bytes_are_no_image() {
        assertThrows(ImageDecodingException.class, () -> extractor().extract(ContractSupport.garbageImage()));
    }

    @Test
    void should_give_concurrent_callers_what_sequential_calls_give() {
        List<ImageInput> images = List.of(sampleImage(), otherImage());
        List<Features> sequential = new ArrayList<>();
        for (ImageInput image : images) {
            sequential.add(extractor().extract(image));
        }
        int tasks = ContractSupport.THREADS * 2;
        List<Features> concurrent =
                ContractSupport.runConcurrently(tasks, i -> extractor().extract(images.get(i % 2)));
        for (int i = 0; i < tasks; i++) {
            ContractSupport.assertClose(
                    sequential.get(i % 2), concurrent.get(i), absTolerance(), relTolerance(),
                    "concurrent extract " + i);
        }
    }

    @Test
    void should_embed_texts_as_one_normalised_row_of_the_space_dimension() {
        assumeTrue(supportsSearch(), "extractor has no search projections");
        EmbeddingSpace space = extractor().embeddingSpace();
        Features text = extractor().embedText("a red and blue picture");
        assertArrayEquals(new int[] {1, space.dimension()}, text.shape(), "text embedding shape");
        ContractSupport.assertRowsNormalised(text, 1e-4, "text embedding");
        assertNotEquals(text, extractor().embedText("a photo of a dog"), "different texts, same vector");
        ContractSupport.assertClose(
                text, extractor().embedText("a red and blue picture"), absTolerance(), relTolerance(),
                "repeated embedText");
    }

    @Test
    void should_embed_images_as_normalised_rows_of_the_space_dimension() {
        assumeTrue(supportsSearch(), "extractor has no search projections");
        EmbeddingSpace space = extractor().embeddingSpace();
        Features a = extractor().embedImage(sampleImage());
        Features b = extractor().embedImage(otherImage());
        assertEquals(2, a.shape().length, "image embeddings are (vectors, dimension): " + a);
        assertEquals(space.dimension(), a.cols(), "image embedding width");
        assertArrayEquals(a.shape(), b.shape(), "vector count must not depend on the image");
        ContractSupport.assertRowsNormalised(a, 1e-4, "image embedding");
        ContractSupport.assertClose(
                a, extractor().embedImage(sampleImage()), absTolerance(), relTolerance(),
                "repeated embedImage");
    }

    @Test
    void should_describe_its_space() {
        assumeTrue(supportsSearch(), "extractor has no search projections");
        EmbeddingSpace space = extractor().embeddingSpace();
        assertFalse(space.family().isBlank(), "family");
        assertFalse(space.fingerprint().isBlank(), "fingerprint");
        assertEquals(space, extractor().embeddingSpace(), "the space is stable");
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_text_is_empty() {
        assumeTrue(supportsSearch(), "extractor has no search projections");
        assertThrows(InvalidArgumentException.class, () -> extractor().embedText(""));
    }

    @Test
    void should_throw_ImageDecodingException_when_embedding_a_corrupt_image() {
        assumeTrue(supportsSearch(), "extractor has no search projections");
        assertThrows(ImageDecodingException.class, () -> extractor().embedImage(ContractSupport.corruptImage()));
    }

    @Test
    void should_embed_concurrently_as_sequentially() {
        assumeTrue(supportsSearch(), "extractor has no search projections");
        List<String> texts = List.of("red", "a blue square", "green grass", "a yellow patch");
        List<Features> sequential = new ArrayList<>();
        for (String text : texts) {
            sequential.add(extractor().embedText(text));
        }
        Features image = extractor().embedImage(sampleImage());
        int tasks = ContractSupport.THREADS * 2;
        List<Features> concurrent = ContractSupport.runConcurrently(
                tasks,
                i -> i % 5 == 4 ? extractor().embedImage(sampleImage()) : extractor().embedText(texts.get(i % 4)));
        for (int i = 0; i < tasks; i++) {
            Features expected = i % 5 == 4 ? image : sequential.get(i % 4);
            ContractSupport.assertClose(
                    expected, concurrent.get(i), absTolerance(), relTolerance(), "concurrent embed " + i);
        }
    }

    @Test
    void should_throw_UnsupportedModelException_for_search_when_it_has_no_search_projections() {
        assumeFalse(supportsSearch(), "extractor supports search");
        assertThrows(UnsupportedModelException.class, () -> extractor().embedText("a dog"));
        assertThrows(UnsupportedModelException.class, () -> extractor().embedImage(sampleImage()));
    }
}
