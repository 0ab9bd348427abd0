package org.vlalign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValueTypesTest {

    @Test
    void should_copy_features_in_and_out() {
        float[] data = {1, 2, 3, 4, 5, 6};
        Features f = Features.of(data, 2, 3);
        data[0] = 99;
        assertEquals(1f, f.data()[0]);
        f.data()[1] = 42;
        assertEquals(2f, f.data()[1]);
        assertEquals(2, f.rows());
        assertEquals(3, f.cols());
        assertArrayEquals(new float[] {4, 5, 6}, f.row(1));
        assertEquals(Features.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3), f);
    }

    @Test
    void should_reject_features_whose_shape_disagrees_with_data() {
        InvalidArgumentException e =
                assertThrows(InvalidArgumentException.class, () -> Features.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> new Features(new float[0], new int[] {0}));
        assertThrows(InvalidArgumentException.class, () -> Features.of(new float[6], 2, 3).row(2));
    }

    @Test
    void should_build_generation_config_with_defaults_and_variants() {
        GenerationConfig d = GenerationConfig.DEFAULT;
        assertEquals(new DecodingStrategy.Greedy(), d.strategy());
        assertEquals(128, d.maxNewTokens());
        GenerationConfig beam =
                d.toBuilder().strategy(DecodingStrategy.Beam.of(4)).numReturnSequences(4).seed(7).build();
        assertEquals(4, ((DecodingStrategy.Beam) beam.strategy()).numBeams());
        assertEquals(7L, beam.seed().getAsLong());
        assertEquals(d.maxNewTokens(), beam.maxNewTokens());
    }

    @Test
    void should_reject_invalid_generation_settings() {
        GenerationConfig.Builder b = GenerationConfig.builder();
        assertThrows(InvalidArgumentException.class, () -> b.maxNewTokens(0).build());
        assertThrows(
                InvalidArgumentException.class,
                () -> GenerationConfig.builder().minNewTokens(10).maxNewTokens(5).build());
        assertThrows(
                InvalidArgumentException.class,
                () -> GenerationConfig.builder().numReturnSequences(2).build());
        assertThrows(
                InvalidArgumentException.class,
                () -> GenerationConfig.builder()
                        .strategy(DecodingStrategy.Beam.of(2)).numReturnSequences(3).build());
        assertThrows(InvalidArgumentException.class, () -> new DecodingStrategy.Sampling(0, 0, 1));
        assertThrows(InvalidArgumentException.class, () -> new DecodingStrategy.Sampling(1, -1, 1));
        assertThrows(InvalidArgumentException.class, () -> new DecodingStrategy.Sampling(1, 0, 0));
        assertThrows(InvalidArgumentException.class, () -> DecodingStrategy.Beam.of(0));
        assertThrows(
                InvalidArgumentException.class,
                () -> GenerationConfig.builder().stopStrings(List.of("")).build());
    }

    @Test
    void should_keep_prompt_segments_immutable() {
        List<Prompt.Segment> parts = new ArrayList<>();
        parts.add(new Prompt.Segment.Bos());
        Prompt p = new Prompt(parts);
        parts.add(new Prompt.Segment.Text("x"));
        assertEquals(1, p.segments().size());
        int[] ids = {1, 2};
        Prompt q = Prompt.builder().tokens(ids).embeddings(Features.of(new float[8], 2, 4)).text("hi").build();
        ids[0] = 9;
        assertArrayEquals(new int[] {1, 2}, ((Prompt.Segment.Tokens) q.segments().get(0)).ids());
        assertEquals(2, q.embeddingPositions());
        assertThrows(InvalidArgumentException.class, () -> new Prompt(List.of()));
    }

    @Test
    void should_read_image_inputs_from_every_source(@TempDir Path dir) throws Exception {
        byte[] bytes = {1, 2, 3};
        Path file = dir.resolve("a.bin");
        Files.write(file, bytes);
        assertArrayEquals(bytes, ImageInput.of(file).encoded().orElseThrow());
        assertArrayEquals(bytes, ImageInput.of(new ByteArrayInputStream(bytes)).encoded().orElseThrow());
        ImageInput fromBytes = ImageInput.of(bytes);
        bytes[0] = 9;
        assertEquals(1, fromBytes.encoded().orElseThrow()[0]);
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        assertTrue(ImageInput.of(img).image().isPresent());
        assertTrue(ImageInput.of(img).encoded().isEmpty());
        assertEquals("<image 3x2>", ImageInput.of(img).description());
        assertThrows(InvalidArgumentException.class, () -> ImageInput.of(new byte[0]));
        ImageDecodingException missing =
                assertThrows(ImageDecodingException.class, () -> ImageInput.of(dir.resolve("nope.png")).encoded());
        assertTrue(missing.getMessage().contains("nope.png"), missing.getMessage());
    }

    @Test
    void should_copy_search_hit_metadata() {
        Map<String, String> m = new HashMap<>();
        m.put("source", "a.png");
        SearchHit hit = new SearchHit("a", 0.5f, m);
        m.put("source", "b.png");
        assertEquals("a.png", hit.metadata().get("source"));
    }

    @Test
    void should_report_providers_when_no_provider_supports_a_folder(@TempDir Path dir) {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> VlModel.load(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }
}
