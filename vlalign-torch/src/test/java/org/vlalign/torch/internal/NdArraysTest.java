package org.vlalign.torch.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class NdArraysTest {

    @Test
    void should_keep_values_of_a_view_when_the_created_array_is_closed_and_memory_reused() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = NdArrays.floats(m, new float[] {1.5f, -2f, 3.25f, 4f}, 2, 2); // (2, 2)
            NDArray view = a.stopGradient(); // shares a's storage
            NDArray longs = NdArrays.longs(m, new long[] {7, 8, 9}, 3); // (3)
            NDArray longView = longs.stopGradient();
            a.close();
            longs.close();
            NativeMemoryChurn churn = new NativeMemoryChurn().run();
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 4f}, view.toFloatArray());
            assertArrayEquals(new long[] {7, 8, 9}, longView.toLongArray());
            assertTrue(churn.size() > 0);
        }
    }

    @Test
    void should_give_exact_gradient_when_the_scalar_divisor_is_closed_before_backward() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = NdArrays.floats(m, new float[] {1f, 2f, 3f}, 3); // (3)
            x.setRequiresGradient(true);
            try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                NDArray divisor = NdArrays.scalar(m, 4f); // ()
                NDArray y = x.mul(x).div(divisor).sum(); // ()
                divisor.close();
                NativeMemoryChurn churn = new NativeMemoryChurn().run();
                c.backward(y);
                assertTrue(churn.size() > 0);
            }
            assertArrayEquals(new float[] {0.5f, 1f, 1.5f}, x.getGradient().toFloatArray()); // d(x²/4)/dx = x/2
        }
    }

    @Test
    void should_create_a_float32_scalar_with_the_value() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray s = NdArrays.scalar(m, 2.5f);
            assertEquals(0, s.getShape().dimension());
            assertEquals(DataType.FLOAT32, s.getDataType());
            assertEquals(2.5f, s.getFloat());
        }
    }
}
