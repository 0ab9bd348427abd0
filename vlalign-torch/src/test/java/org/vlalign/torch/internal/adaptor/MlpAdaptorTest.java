package org.vlalign.torch.internal.adaptor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.UnsupportedModelException;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.torch.internal.LeakCheck;

class MlpAdaptorTest {
    @TempDir Path tmp;

    /** erf by its Maclaurin series (|x| < 3) or continued-fraction-free asymptotics, in double. */
    static double erf(double x) {
        if (Math.abs(x) > 5) {
            return Math.signum(x);
        }
        double sum = 0;
        double term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    @Test
    void should_compute_linear_gelu_linear_like_a_plain_java_reference() {
        int in = 10;
        int hidden = 16;
        int out = 14;
        Random r = new Random(3);
        float[] w1 = LinearAdaptorTest.random(r, hidden * in, 0.8);
        float[] b1 = LinearAdaptorTest.random(r, hidden, 0.5);
        float[] w2 = LinearAdaptorTest.random(r, out * hidden, 0.3);
        float[] b2 = LinearAdaptorTest.random(r, out, 0.1);
        Path file = tmp.resolve("model.safetensors");
        SafetensorsWriter.create()
                .addF32("multi_modal_projector.linear_1.weight", w1, hidden, in)
                .addF32("multi_modal_projector.linear_1.bias", b1, hidden)
                .addF32("multi_modal_projector.linear_2.weight", w2, out, hidden)
                .addF32("multi_modal_projector.linear_2.bias", b2, out)
                .write(file);
        int rows = 7;
        float[] x = LinearAdaptorTest.random(r, rows * in, 1.5);
        float[] h = LinearAdaptorTest.reference(x, rows, w1, b1, in, hidden);
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) gelu(h[i]);
        }
        float[] expected = LinearAdaptorTest.reference(h, rows, w2, b2, hidden, out);
        try (TorchCheckpoint c = TorchCheckpoint.openFile(file);
                MlpAdaptor adaptor = MlpAdaptor.load(c, MlpAdaptor.MULTI_MODAL_PROJECTOR, "gelu")) {
            assertEquals(in, adaptor.inputDim());
            assertEquals(out, adaptor.outputDim());
            Features y = adaptor.adapt(Features.of(x, rows, in));
            assertArrayEquals(new int[] {rows, out}, y.shape());
            LinearAdaptorTest.assertClose(expected, y.data());
        }
    }

    /**
     * Writes a random 10 → 16 → 14 projector.
     *
     * @param file the safetensors file
     * @param prefix the key prefix, e.g. {@link MlpAdaptor#MULTI_MODAL_PROJECTOR}
     * @param r the weights' source
     * @return the file
     */
    static Path writeRandom(Path file, String prefix, Random r) {
        SafetensorsWriter.create()
                .addF32(prefix + "linear_1.weight", LinearAdaptorTest.random(r, 16 * 10, 0.4), 16, 10)
                .addF32(prefix + "linear_1.bias", LinearAdaptorTest.random(r, 16, 0.1), 16)
                .addF32(prefix + "linear_2.weight", LinearAdaptorTest.random(r, 14 * 16, 0.3), 14, 16)
                .addF32(prefix + "linear_2.bias", LinearAdaptorTest.random(r, 14, 0.1), 14)
                .write(file);
        return file;
    }

    @Test
    void should_leave_the_weight_manager_flat_when_adapting_many_times() {
        Random r = new Random(4);
        Path file = writeRandom(tmp.resolve("leak.safetensors"), "", r);
        Features x = Features.of(LinearAdaptorTest.random(r, 3 * 10, 1), 3, 10);
        try (TorchCheckpoint c = TorchCheckpoint.openFile(file); MlpAdaptor adaptor = MlpAdaptor.load(c, "", "gelu")) {
            LeakCheck.assertFlat(adaptor.manager(), 50, i -> adaptor.adapt(x));
        }
    }

    @Test
    void should_reject_an_unsupported_activation() {
        Path file = tmp.resolve("m.safetensors");
        SafetensorsWriter.create().addF32("linear_1.weight", new float[4], 2, 2).write(file);
        try (TorchCheckpoint c = TorchCheckpoint.openFile(file)) {
            UnsupportedModelException e =
                    assertThrows(UnsupportedModelException.class, () -> MlpAdaptor.load(c, "", "relu"));
            assertTrue(e.getMessage().contains("relu"), e.getMessage());
        }
    }

    @Test
    void should_name_both_tensors_when_the_shapes_do_not_chain() {
        Path file = tmp.resolve("m.safetensors");
        SafetensorsWriter.create()
                .addF32("linear_1.weight", new float[6], 3, 2)
                .addF32("linear_1.bias", new float[3], 3)
                .addF32("linear_2.weight", new float[8], 2, 4)
                .addF32("linear_2.bias", new float[2], 2)
                .write(file);
        try (TorchCheckpoint c = TorchCheckpoint.openFile(file)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> MlpAdaptor.load(c, "", "gelu"));
            assertTrue(e.getMessage().contains("linear_1.weight") && e.getMessage().contains("[2, 4]"), e.getMessage());
        }
    }
}
