package org.vlalign.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.core.contract.PublicSignatures;

/** The parity runner, which the CLI calls, exposes no DJL type: its checks drive the engine inside. */
class EngineFenceTest {

    @Test
    void should_expose_no_djl_type() {
        List<String> leaks = PublicSignatures.naming(PublicSignatures.classesOf(ParityRunner.class),
                p -> p.startsWith("org.vlalign.parity"), "ai.djl.");
        assertEquals(List.of(), leaks, "public members that name DJL types");
    }
}
