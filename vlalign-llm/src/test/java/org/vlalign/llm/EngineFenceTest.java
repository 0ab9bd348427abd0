package org.vlalign.llm;

import org.junit.jupiter.api.Test;
import org.vlalign.core.contract.PublicSignatures;

/** The Llama family's engine-free module exposes no DJL type (its tokenizer wraps DJL's, privately). */
class EngineFenceTest {
    @Test
    void should_expose_no_djl_type() {
        PublicSignatures.assertNoneNames("ai.djl.", LlamaConfig.class, p -> p.startsWith("org.vlalign.llm"));
    }
}
