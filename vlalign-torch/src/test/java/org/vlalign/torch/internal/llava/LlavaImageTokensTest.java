package org.vlalign.torch.internal.llava;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.spi.DecoderInput;

class LlavaImageTokensTest {
    private static final int IMG = 50;
    private final LlavaImageTokens tokens = new LlavaImageTokens(IMG);

    private static Features image(int rows, float value) {
        float[] data = new float[rows * 2];
        java.util.Arrays.fill(data, value);
        return Features.of(data, rows, 2);
    }

    @Test
    void should_give_the_same_input_for_expanded_and_legacy_prompts() {
        Features f = image(3, 1f);
        DecoderInput expanded = tokens.toDecoderInput(new long[] {1, 7, IMG, IMG, IMG, 8, 9}, List.of(f));
        DecoderInput legacy = tokens.toDecoderInput(new long[] {1, 7, IMG, 8, 9}, List.of(f));
        for (DecoderInput in : List.of(expanded, legacy)) {
            assertEquals(7, in.length());
            assertEquals(3, in.parts().size());
            assertArrayEquals(new int[] {1, 7}, ((DecoderInput.Tokens) in.parts().get(0)).ids());
            assertSame(f, ((DecoderInput.Embeddings) in.parts().get(1)).features());
            assertArrayEquals(new int[] {8, 9}, ((DecoderInput.Tokens) in.parts().get(2)).ids());
        }
    }

    @Test
    void should_place_several_images_in_order() {
        Features a = image(2, 1f);
        Features b = image(2, 2f);
        DecoderInput in = tokens.toDecoderInput(new long[] {IMG, IMG, IMG, IMG, 5, IMG}, List.of(a, b, a));
        assertEquals(4, in.parts().size());
        assertSame(a, ((DecoderInput.Embeddings) in.parts().get(0)).features());
        assertSame(b, ((DecoderInput.Embeddings) in.parts().get(1)).features());
        assertInstanceOf(DecoderInput.Tokens.class, in.parts().get(2));
        assertSame(a, ((DecoderInput.Embeddings) in.parts().get(3)).features());
        assertEquals(7, in.length());
    }

    @Test
    void should_reject_a_run_that_matches_no_form() {
        assertThrows(InvalidArgumentException.class,
                () -> tokens.toDecoderInput(new long[] {1, IMG, IMG, 2}, List.of(image(3, 1f))));
    }

    @Test
    void should_reject_missing_or_extra_images() {
        assertThrows(InvalidArgumentException.class,
                () -> tokens.toDecoderInput(new long[] {1, IMG, 2}, List.of()));
        assertThrows(InvalidArgumentException.class,
                () -> tokens.toDecoderInput(new long[] {1, IMG, 2}, List.of(image(3, 1f), image(3, 1f))));
    }

    @Test
    void should_drop_left_padding() {
        assertArrayEquals(new long[] {1, 4, 5},
                LlavaImageTokens.unpad(new long[] {0, 0, 1, 4, 5}, new long[] {0, 0, 1, 1, 1}));
    }
}
