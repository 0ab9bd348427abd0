package org.vlalign.core.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * Float conversions between checkpoint dtypes (F16, BF16, F64) and float32, exact where the target can
 * hold the value and round-to-nearest-even otherwise. Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class DtypeConversion {

    /** fp16 bit pattern → float32, precomputed for all 65536 values. */
    private static final float[] HALF_TABLE = new float[1 << 16];

    static {
        for (int h = 0; h < HALF_TABLE.length; h++) {
            HALF_TABLE[h] = halfToFloat((short) h);
        }
    }

    private DtypeConversion() {}

    /**
     * Converts an IEEE 754 binary16 value to float32 exactly (Java 17 has no {@code Float.float16ToFloat}).
     *
     * @param bits the half's bits
     * @return the float
     */
    public static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24, exact in float32
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // inf or NaN
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /**
     * Converts a float32 to binary16 with round-to-nearest-even (used by writers and tests).
     *
     * @param f the float
     * @return the half's bits
     */
    public static short floatToHalf(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int exp = (x >>> 23) & 0xff;
        int mant = x & 0x7fffff;
        if (exp == 0xff) {
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - e;
            int half = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
            half++;
        }
        return (short) (sign | half);
    }

    /**
     * Converts a float32 to bfloat16 with round-to-nearest-even.
     *
     * @param f the float
     * @return the bf16 bits
     */
    public static short floatToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7fffffff) > 0x7f800000) {
            return (short) ((x >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((x >>> 16) & 1);
        return (short) ((x + rounding) >>> 16);
    }

    /**
     * Converts {@code n} elements of a little-endian source to float32.
     *
     * @param src the source bytes from its position
     * @param dtype the source dtype, a float type
     * @param dst receives {@code n} floats at its position
     * @param n the number of elements
     */
    public static void toFloat(ByteBuffer src, SafetensorsDtype dtype, FloatBuffer dst, int n) {
        ByteBuffer le = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> {
                FloatBuffer fb = le.asFloatBuffer();
                fb.limit(n);
                dst.put(fb);
            }
            case BF16 -> {
                ShortBuffer sb = le.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    dst.put(Float.intBitsToFloat((sb.get(i) & 0xffff) << 16)); // bf16 is the top half of a float32
                }
            }
            case F16 -> {
                ShortBuffer sb = le.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    dst.put(HALF_TABLE[sb.get(i) & 0xffff]);
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    dst.put((float) le.getDouble(i * 8));
                }
            }
            default -> throw new IllegalStateException(
                    "not a float dtype: " + dtype + "; SafetensorsReader converts only float tensors");
        }
    }
}
