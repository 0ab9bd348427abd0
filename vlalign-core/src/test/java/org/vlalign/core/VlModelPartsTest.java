package org.vlalign.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;
import org.vlalign.VlalignException;
import org.vlalign.core.compose.FakeAdaptor;
import org.vlalign.core.compose.FakeFeatureExtractor;
import org.vlalign.core.compose.FakeLanguageModel;
import org.vlalign.core.prompt.VicunaPromptWrapper;

/** Validation and closing of {@link VlModelParts}. */
class VlModelPartsTest {

    @Test
    void should_hold_the_language_side_all_or_nothing() {
        FakeFeatureExtractor extractor = FakeFeatureExtractor.blip2();
        assertTrue(VlModelParts.of("full", extractor, FakeAdaptor.linear(24, 16, 1), VicunaPromptWrapper.create(),
                new FakeLanguageModel(16, 64, 1)).canAnswer());
        assertFalse(VlModelParts.searchOnly("search", extractor).canAnswer());
        InvalidArgumentException partial = assertThrows(InvalidArgumentException.class, () -> new VlModelParts(
                "half", extractor, Optional.of(FakeAdaptor.linear(24, 16, 1)), Optional.empty(), Optional.empty()));
        assertTrue(partial.getMessage().contains("half") && partial.getMessage().contains("adaptor true"),
                partial.getMessage());
        assertThrows(InvalidArgumentException.class, () -> VlModelParts.searchOnly(" ", extractor));
        assertThrows(InvalidArgumentException.class, () -> VlModelParts.searchOnly("x", null));
        assertThrows(InvalidArgumentException.class, () -> VlModelParts.of("x", extractor, null,
                VicunaPromptWrapper.create(), new FakeLanguageModel(16, 64, 1)));
    }

    @Test
    void should_close_every_part_even_when_one_fails() {
        FakeLanguageModel lm = new FakeLanguageModel(16, 64, 1);
        FakeAdaptor failing =
                FakeAdaptor.linear(24, 16, 1).failOnClose(new IllegalStateException("native free failed"));
        FakeFeatureExtractor extractor = FakeFeatureExtractor.blip2();
        VlModelParts parts = VlModelParts.of("x", extractor, failing, VicunaPromptWrapper.create(), lm);
        VlalignException e = assertThrows(VlalignException.class, parts::close);
        assertTrue(e.getMessage().contains("native free failed"), e.getMessage());
        assertTrue(lm.isClosed(), "closed before the failing adaptor");
        assertEquals(1, extractor.closeCalls(), "closed after the failing adaptor");
        assertEquals(IllegalStateException.class, e.getCause().getClass());
    }
}
