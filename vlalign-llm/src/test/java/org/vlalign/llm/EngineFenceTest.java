package org.vlalign.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.core.contract.PublicSignatures;

/** The Llama family's engine-free module exposes no DJL type (its tokenizer wraps DJL's, privately). */
class EngineFenceTest {

    @Test
    void should_expose_no_djl_type() {
        List<String> leaks = PublicSignatures.naming(PublicSignatures.classesOf(LlamaConfig.class),
                p -> p.startsWith("org.vlalign.llm"), "ai.djl.");
        assertEquals(List.of(), leaks, "public members that name DJL types");
    }
}
