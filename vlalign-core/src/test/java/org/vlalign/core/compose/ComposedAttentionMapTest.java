package org.vlalign.core.compose;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vlalign.GenerationConfig;
import org.vlalign.ImageInput;
import org.vlalign.UnsupportedModelException;
import org.vlalign.VlModel;

/**
 * A composition whose extractor cannot relate its features to patches refuses an attention map with {@link
 * UnsupportedModelException} naming why, rather than answering without one.
 */
class ComposedAttentionMapTest {
    @Test
    void should_refuse_an_attention_map_when_the_extractor_cannot_relate_features_to_patches() {
        try (VlModel model = Compositions.referenceSystem()) {
            ImageInput image = ImageInput.of(new java.awt.image.BufferedImage(16, 16, java.awt.image.BufferedImage.TYPE_INT_RGB));
            GenerationConfig config = GenerationConfig.builder().maxNewTokens(2).attentionMap(true).build();
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                    () -> model.ask(image, "what", config, t -> {}));
            assertTrue(e.getMessage().contains("cannot relate its features"), e.getMessage());
            assertThrows(UnsupportedModelException.class, () -> model.askBatch(
                    java.util.List.of(new org.vlalign.AskRequest(image, "what")), config));
            assertThrows(UnsupportedModelException.class, () -> model.newChat(image).send("what", config, t -> {}));
        }
    }
}
