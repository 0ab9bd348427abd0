package org.vlalign.parity;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Runs the CLIP and LLaVA parity checks over every shared case of their kinds; every tensor must be checked. */
class ClipLlavaParityTest {
    private static final Map<String, ParityCheck> CHECKS = Map.of(
            "clip", new ClipParityCheck(),
            "llava", new LlavaParityCheck());

    @TestFactory
    List<DynamicTest> should_reproduce_every_expected_tensor_of_the_shared_clip_and_llava_cases()
            throws IOException {
        return SharedCases.of(CHECKS, "clip/llava", true);
    }
}
