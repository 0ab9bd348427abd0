package org.vlalign.parity;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Compares reproduced tensors with a case's expected ones and prints one line per tensor:
 * {@code <case> <tensor> max_abs_err=<e> tol=<atol>+<rtol>*|x| PASS|FAIL}, or for ids {@code <case>
 * <tensor> mismatches=<n> exact PASS|FAIL}.
 *
 * <p>{@link #finish} fails every expected tensor that was never compared ({@code not checked}). Not
 * thread-safe: one report per case.
 *
 * @since 0.1.0
 */
public final class ParityReport {

    private final ParityCase parityCase;
    private final PrintStream out;
    private final Set<String> reported = new LinkedHashSet<>();
    private boolean allPassed = true;

    /**
     * Creates a report.
     *
     * @param parityCase the case, for expected values and tolerances
     * @param out where lines go
     */
    public ParityReport(ParityCase parityCase, PrintStream out) {
        this.parityCase = parityCase;
        this.out = out;
    }

    /**
     * Compares a float tensor with its case.json tolerance at every element.
     *
     * @param name the expected tensor
     * @param actual the reproduced values, row-major
     * @return true if within tolerance
     */
    public boolean compare(String name, float[] actual) {
        return compare(name, actual, null);
    }

    /**
     * Compares a float tensor with its case.json tolerance, only at the positions a mask keeps.
     *
     * @param name the expected tensor
     * @param actual the reproduced values, row-major
     * @param positionMask null for all, else one flag per leading position (the tensor split into
     *     {@code positionMask.length} equal runs, e.g. per (batch, seq) for logits)
     * @return true if within tolerance
     */
    public boolean compare(String name, float[] actual, boolean[] positionMask) {
        ParityCase.Tolerance t = parityCase.tolerance(name);
        return compare(name, actual, t.atol(), t.rtol(), positionMask);
    }

    /**
     * Compares a float tensor with an explicit tolerance.
     *
     * @param name the expected tensor
     * @param actual the reproduced values
     * @param atol absolute tolerance
     * @param rtol relative tolerance
     * @param positionMask null or one flag per leading position
     * @return true if within tolerance
     */
    public boolean compare(String name, float[] actual, double atol, double rtol, boolean[] positionMask) {
        float[] expected;
        try {
            expected = parityCase.floats(name);
        } catch (RuntimeException e) {
            return fail(name, "expected tensor unreadable: " + e.getMessage());
        }
        String tol = String.format(Locale.ROOT, "tol=%s+%s*|x|", atol, rtol);
        if (expected.length != actual.length) {
            return fail(name, "size " + actual.length + " but expected " + expected.length + " "
                    + Arrays.toString(parityCase.shape(name)) + " " + tol);
        }
        int run = positionMask == null ? expected.length : expected.length / Math.max(1, positionMask.length);
        if (positionMask != null && run * positionMask.length != expected.length) {
            return fail(name, "mask of " + positionMask.length + " positions does not divide " + expected.length);
        }
        double maxErr = 0;
        int worst = -1;
        boolean ok = true;
        for (int i = 0; i < expected.length; i++) {
            if (positionMask != null && !positionMask[i / run]) {
                continue;
            }
            double err = Math.abs((double) actual[i] - expected[i]);
            boolean within = err <= atol + rtol * Math.abs(expected[i]);
            if (Double.isNaN(actual[i]) != Double.isNaN(expected[i]) || !within && !Double.isNaN(err)) {
                ok = false;
            }
            if (err > maxErr || Double.isNaN(err) && worst < 0) {
                maxErr = err;
                worst = i;
            }
        }
        String masked = positionMask == null ? "" : " (mask positions only)";
        String where = ok || worst < 0 ? "" : " worst at flat index " + worst + ": " + actual[worst] + " vs " + expected[worst];
        return line(name, String.format(Locale.ROOT, "max_abs_err=%.3g %s%s%s", maxErr, tol, masked, where), ok);
    }

    /**
     * Compares integer ids exactly.
     *
     * @param name the expected tensor
     * @param actual the reproduced ids, row-major
     * @param actualShape their shape
     * @return true if equal
     */
    public boolean compareIds(String name, long[] actual, long[] actualShape) {
        long[] expected;
        long[] shape;
        try {
            expected = parityCase.longs(name);
            shape = parityCase.shape(name);
        } catch (RuntimeException e) {
            return fail(name, "expected tensor unreadable: " + e.getMessage());
        }
        if (!Arrays.equals(shape, actualShape)) {
            return fail(name, "shape " + Arrays.toString(actualShape) + " but expected " + Arrays.toString(shape)
                    + "; got " + abbreviate(actual) + " expected " + abbreviate(expected));
        }
        int mismatches = 0;
        int first = -1;
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] != actual[i]) {
                mismatches++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        String detail = mismatches == 0 ? "" : " first at flat index " + first + ": " + actual[first] + " vs "
                + expected[first];
        return line(name, "mismatches=" + mismatches + " exact" + detail, mismatches == 0);
    }

    private static String abbreviate(long[] a) {
        String s = Arrays.toString(a);
        return s.length() > 200 ? s.substring(0, 200) + "...]" : s;
    }

    /**
     * Reports a tensor as failed.
     *
     * @param name the tensor (or {@code -} for the whole case)
     * @param reason why
     * @return false
     */
    public boolean fail(String name, String reason) {
        return line(name, reason, false);
    }

    private boolean line(String name, String detail, boolean ok) {
        reported.add(name);
        allPassed &= ok;
        out.println(parityCase.name() + " " + name + " " + detail + " " + (ok ? "PASS" : "FAIL"));
        return ok;
    }

    /**
     * Whether a tensor was already reported.
     *
     * @param name the tensor
     * @return true if compared or failed
     */
    public boolean isReported(String name) {
        return reported.contains(name);
    }

    /** Fails every expected tensor never compared. */
    public void finish() {
        for (String name : parityCase.expectedNames()) {
            if (!reported.contains(name)) {
                fail(name, "not checked");
            }
        }
    }

    /**
     * Whether every line so far passed.
     *
     * @return true if all passed
     */
    public boolean allPassed() {
        return allPassed;
    }
}
