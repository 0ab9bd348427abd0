package org.vlalign.parity;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Runs the BLIP-2 / InstructBLIP parity checks over every shared case of their kinds. */
class BlipParityTest {
    private static final Map<String, ParityCheck> CHECKS = Map.of(
            "instructblip", new InstructBlipParityCheck(),
            "blip2_qformer", new Blip2QFormerParityCheck(),
            "blip2_retrieval", new Blip2RetrievalParityCheck());

    @TestFactory
    List<DynamicTest> should_reproduce_every_expected_tensor_of_the_shared_blip_cases() throws IOException {
        return SharedCases.of(CHECKS, "BLIP", false);
    }
}
