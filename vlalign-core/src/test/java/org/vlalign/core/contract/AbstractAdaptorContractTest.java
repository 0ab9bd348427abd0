package org.vlalign.core.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.vlalign.Adaptor;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;

/**
 * The contract every {@link Adaptor} meets: shapes, determinism, row-by-row projection, width
 * checks and thread safety. Extend it and implement {@link #newAdaptor()}.
 *
 * <p>One adaptor is created per test class and closed after the tests; {@link
 * #should_allow_close_twice()} creates one more. Inputs are seeded random features; the seed is in
 * every failure message.
 *
 * <p>Instances are used by one JUnit thread; the adaptor under test is exercised from {@link
 * ContractSupport#THREADS} threads.
 *
 * @since 0.1.0
 */
public abstract class AbstractAdaptorContractTest extends AbstractSharedSubjectTest<Adaptor> {
    private static final long SEED = 20_240_601L;

    /**
     * Creates the adaptor under test.
     *
     * @return a new adaptor, closed by the suite
     */
    protected abstract Adaptor newAdaptor();

    /**
     * The adaptor under test.
     *
     * @return the shared adaptor
     */
    protected final Adaptor adaptor() {
        return subject();
    }

    @Override
    final Adaptor createSubject() {
        return newAdaptor();
    }

    /**
     * The absolute tolerance for comparisons of adaptor outputs.
     *
     * @return 1e-5 by default
     */
    protected double absTolerance() {
        return 1e-5;
    }

    /**
     * The relative tolerance for comparisons of adaptor outputs.
     *
     * @return 1e-4 by default
     */
    protected double relTolerance() {
        return 1e-4;
    }

    /**
     * Seeded random features of a given shape, values in [-1, 1).
     *
     * @param rows the rows
     * @param cols the width
     * @param seed the seed
     * @return the features
     */
    protected static Features randomFeatures(int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return Features.of(data, rows, cols);
    }

    @Test
    void should_have_positive_widths() {
        assertTrue(adaptor().inputDim() > 0, "inputDim " + adaptor().inputDim());
        assertTrue(adaptor().outputDim() > 0, "outputDim " + adaptor().outputDim());
    }

    @Test
    void should_map_each_row_to_an_output_row_of_outputDim() {
        for (int rows : new int[] {1, 5, 32}) {
            Features out = adaptor().adapt(randomFeatures(rows, adaptor().inputDim(), SEED + rows));
            assertArrayEquals(new int[] {rows, adaptor().outputDim()}, out.shape(), "seed " + (SEED + rows));
            for (float v : out.data()) {
                assertTrue(Float.isFinite(v), "non-finite output " + v + ", seed " + (SEED + rows));
            }
        }
    }

    @Test
    void should_be_deterministic() {
        Features in = randomFeatures(7, adaptor().inputDim(), SEED);
        ContractSupport.assertClose(
                adaptor().adapt(in), adaptor().adapt(in), absTolerance(), relTolerance(), "seed " + SEED);
    }

    @Test
    void should_project_each_row_independently_of_the_others() {
        Features in = randomFeatures(4, adaptor().inputDim(), SEED + 1);
        Features all = adaptor().adapt(in);
        for (int r = 0; r < in.rows(); r++) {
            Features one = adaptor().adapt(Features.ofVector(in.row(r)));
            ContractSupport.assertClose(
                    one, Features.ofVector(all.row(r)), absTolerance(), relTolerance(),
                    "row " + r + " alone vs in a matrix, seed " + (SEED + 1));
        }
    }

    @Test
    void should_depend_on_the_input() {
        Features a = adaptor().adapt(randomFeatures(2, adaptor().inputDim(), SEED + 2));
        Features b = adaptor().adapt(randomFeatures(2, adaptor().inputDim(), SEED + 3));
        assertTrue(!a.equals(b), "different inputs gave the same output");
    }

    @Test
    void should_throw_InvalidArgumentException_when_the_width_is_wrong() {
        assertThrows(
                InvalidArgumentException.class,
                () -> adaptor().adapt(randomFeatures(3, adaptor().inputDim() + 1, SEED)));
        if (adaptor().inputDim() > 1) {
            assertThrows(
                    InvalidArgumentException.class,
                    () -> adaptor().adapt(randomFeatures(3, adaptor().inputDim() - 1, SEED)));
        }
    }

    @Test
    void should_give_concurrent_callers_what_sequential_calls_give() {
        int tasks = ContractSupport.THREADS * 2;
        List<Features> inputs = new java.util.ArrayList<>();
        List<Features> expected = new java.util.ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            Features in = randomFeatures(1 + i % 5, adaptor().inputDim(), SEED + 100 + i);
            inputs.add(in);
            expected.add(adaptor().adapt(in));
        }
        List<Features> actual = ContractSupport.runConcurrently(tasks, i -> adaptor().adapt(inputs.get(i)));
        for (int i = 0; i < tasks; i++) {
            ContractSupport.assertClose(
                    expected.get(i), actual.get(i), absTolerance(), relTolerance(),
                    "concurrent adapt " + i + ", seed " + (SEED + 100 + i));
        }
    }

    @Test
    void should_allow_close_twice() {
        Adaptor other = newAdaptor();
        other.close();
        assertDoesNotThrow(other::close);
    }
}
