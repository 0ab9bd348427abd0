package org.vlalign.core.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.Features;
import org.vlalign.Prompt;
import org.vlalign.Prompt.Segment.Bos;
import org.vlalign.Prompt.Segment.Embeddings;
import org.vlalign.Prompt.Segment.Text;
import org.vlalign.PromptWrapper;
import org.vlalign.Turn;
import org.vlalign.core.contract.AbstractPromptWrapperContractTest;

class ImagePrefixPromptWrapperContractTest extends AbstractPromptWrapperContractTest {
    private static final Features IMAGE = Features.of(new float[] {1, 2, 3, 4}, 2, 2);

    @Override
    protected PromptWrapper newWrapper() {
        return ImagePrefixPromptWrapper.create();
    }

    @Test
    void should_put_the_image_between_bos_and_the_query() {
        assertEquals(List.of(new Bos(), new Embeddings(IMAGE), new Text("what colour is the circle?")),
                ImagePrefixPromptWrapper.create().wrap(IMAGE, "what colour is the circle?").segments());
    }

    @Test
    void should_add_no_text_for_an_empty_query_and_plain_text_for_earlier_turns() {
        assertEquals(List.of(new Bos(), new Embeddings(IMAGE)),
                ImagePrefixPromptWrapper.create().wrap(IMAGE, "").segments());
        Prompt p = ImagePrefixPromptWrapper.create().wrap(IMAGE, List.of(
                Turn.user("how many shapes are there?"), Turn.assistant("2"), Turn.user("is there a red circle?")));
        assertEquals(List.of(new Bos(), new Embeddings(IMAGE), new Text("how many shapes are there? 2 is there a red circle?")),
                p.segments());
    }

    @Test
    void should_be_found_by_name() {
        assertEquals(ImagePrefixPromptWrapper.create(), PromptWrappers.forName("image-prefix"));
    }
}
