package org.vlalign.parity;

import org.junit.jupiter.api.Test;
import org.vlalign.core.contract.PublicSignatures;

/** The parity runner, which the CLI calls, exposes no DJL type: its checks drive the engine inside. */
class EngineFenceTest {
    @Test
    void should_expose_no_djl_type() {
        PublicSignatures.assertNoneNames("ai.djl.", ParityRunner.class, p -> p.startsWith("org.vlalign.parity"));
    }
}
