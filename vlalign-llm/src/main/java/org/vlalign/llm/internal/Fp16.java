package org.vlalign.llm.internal;

import org.vlalign.core.checkpoint.DtypeConversion;

/**
 * IEEE binary16 conversions for block scales: a table of all 65,536 values (256 KB, stays in the L2 cache
 * while a kernel runs) and round-to-nearest-even from float32. Stateless and thread-safe.
 */
public final class Fp16 {
    /** Every binary16 bit pattern's float value; kernels index it directly (a call per block scale is not always inlined). */
    static final float[] TABLE = new float[1 << 16];

    static {
        for (int h = 0; h < TABLE.length; h++) {
            TABLE[h] = DtypeConversion.halfToFloat((short) h);
        }
    }

    private Fp16() {}

    /**
     * The float value of a binary16 bit pattern.
     *
     * @param bits the bits
     * @return the value, exact
     */
    public static float toFloat(short bits) {
        return TABLE[bits & 0xffff];
    }

    /**
     * The nearest binary16 value (ties to even).
     *
     * @param f the value
     * @return its bits
     */
    public static short fromFloat(float f) {
        return DtypeConversion.floatToHalf(f);
    }

    /**
     * The float value of a bfloat16 bit pattern.
     *
     * @param bits the bits
     * @return the value, exact
     */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
