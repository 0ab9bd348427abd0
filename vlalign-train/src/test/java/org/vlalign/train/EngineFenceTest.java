package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlalign.core.contract.PublicSignatures;

/**
 * The engine is fenced in vlalign-train too: no public member of {@code org.vlalign.train} takes or returns a
 * DJL type; the engine side of an objective is the {@code spi} package.
 */
class EngineFenceTest {
    private static final String DJL = "ai.djl.";

    private static boolean behindTheFence(String pkg) {
        return pkg.startsWith("org.vlalign.train.spi") || pkg.startsWith("org.vlalign.train.internal");
    }

    @Test
    void should_expose_no_djl_type_outside_the_spi_and_internal_packages() {
        PublicSignatures.assertNoneNames(DJL, TrainingLoop.class,
                p -> p.startsWith("org.vlalign.train") && !behindTheFence(p));
    }

    @Test
    void should_see_the_djl_types_of_the_service_provider_interface() {
        List<String> spi = PublicSignatures.naming(PublicSignatures.classesOf(TrainingLoop.class),
                EngineFenceTest::behindTheFence, DJL);
        assertTrue(spi.stream().anyMatch(s -> s.contains("TrainingObjective") && s.contains("ai.djl.ndarray.NDArray")),
                "the check must find the NDArray methods behind the fence: " + spi);
    }
}
