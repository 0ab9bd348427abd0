package org.vlalign.torch;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.core.contract.PublicSignatures;

/**
 * The engine is fenced: no public method of vlalign-torch outside {@code org.vlalign.torch.internal} takes or
 * returns a DJL type, so applications see only the {@code org.vlalign} interfaces and plain Java values.
 */
class EngineFenceTest {
    private static final String DJL = "ai.djl.";

    @Test
    void should_expose_no_djl_type_outside_the_internal_packages() {
        PublicSignatures.assertNoneNames(DJL, TorchModels.class,
                p -> p.startsWith("org.vlalign.torch") && !p.startsWith("org.vlalign.torch.internal"));
    }

    @Test
    void should_see_the_djl_types_the_internal_classes_use() {
        List<String> internal = PublicSignatures.naming(PublicSignatures.classesOf(TorchModels.class),
                p -> p.startsWith("org.vlalign.torch.internal"), DJL);
        assertTrue(internal.stream()
                        .anyMatch(s -> s.contains("BlipFeatureExtractor: public ai.djl.ndarray.NDManager")),
                "the check must find the NDArray methods behind the fence: " + internal);
    }
}
