package org.vlalign.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DtypeConversionTest {

    @Test
    void should_convert_known_half_values() {
        assertEquals(1.0f, DtypeConversion.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, DtypeConversion.halfToFloat((short) 0xc000));
        assertEquals(65504f, DtypeConversion.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, DtypeConversion.halfToFloat((short) 0x0001));
        assertEquals(0x1p-14f, DtypeConversion.halfToFloat((short) 0x0400));
        assertEquals(Float.POSITIVE_INFINITY, DtypeConversion.halfToFloat((short) 0x7c00));
        assertTrue(Float.isNaN(DtypeConversion.halfToFloat((short) 0x7e00)));
        assertEquals(Float.floatToIntBits(-0.0f), Float.floatToIntBits(DtypeConversion.halfToFloat((short) 0x8000)));
    }

    @Test
    void should_round_trip_every_finite_half() {
        for (int h = 0; h < 0x10000; h++) {
            float f = DtypeConversion.halfToFloat((short) h);
            if (Float.isNaN(f)) {
                continue;
            }
            assertEquals(h, DtypeConversion.floatToHalf(f) & 0xffff, "half 0x" + Integer.toHexString(h) + " = " + f);
        }
    }

    @Test
    void should_round_to_nearest_even_when_narrowing() {
        // 1 + 2^-11 lies halfway between 1 and the next half (1 + 2^-10): ties go to the even one, 1.
        assertEquals(0x3c00, DtypeConversion.floatToHalf(1f + 0x1p-11f) & 0xffff);
        assertEquals(0x3c01, DtypeConversion.floatToHalf(1f + 0x1p-11f + 0x1p-20f) & 0xffff);
        // bf16: 1 + 2^-8 is halfway between 1 and 1 + 2^-7
        assertEquals(0x3f80, DtypeConversion.floatToBf16(1f + 0x1p-8f) & 0xffff);
        assertEquals(0x3f81, DtypeConversion.floatToBf16(1f + 0x1p-8f + 0x1p-16f) & 0xffff);
    }
}
