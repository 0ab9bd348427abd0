package org.vlalign.torch.internal.adaptor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.core.checkpoint.SafetensorsWriter;
import org.vlalign.torch.internal.LeakCheck;

class LinearAdaptorTest {
    static final int IN = 12;
    static final int OUT = 20;

    @TempDir Path tmp;

    static float[] random(Random r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return v;
    }

    /** y = x W^T + b in double precision. */
    static float[] reference(float[] x, int rows, float[] w, float[] b, int in, int out) {
        float[] y = new float[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    s += (double) x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = (float) s;
            }
        }
        return y;
    }

    static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 + 1e-4 * Math.abs(expected[i]), "index " + i);
        }
    }

    @Test
    void should_project_rows_like_a_plain_java_matmul_when_loaded_from_a_standalone_file() {
        Random r = new Random(1);
        float[] w = random(r, OUT * IN, 0.3);
        float[] b = random(r, OUT, 0.1);
        Path file = tmp.resolve("adaptor.safetensors");
        SafetensorsWriter.create().addF32("weight", w, OUT, IN).addF32("bias", b, OUT).write(file);
        float[] x = random(r, 5 * IN, 1);
        try (LinearAdaptor adaptor = LinearAdaptor.load(file)) {
            assertEquals(IN, adaptor.inputDim());
            assertEquals(OUT, adaptor.outputDim());
            Features y = adaptor.adapt(Features.of(x, 5, IN));
            assertArrayEquals(new int[] {5, OUT}, y.shape());
            assertClose(reference(x, 5, w, b, IN, OUT), y.data());
        }
    }

    @Test
    void should_leave_the_weight_manager_flat_when_adapting_many_times() {
        Random r = new Random(5);
        Path file = tmp.resolve("leak.safetensors");
        SafetensorsWriter.create()
                .addF32("weight", random(r, OUT * IN, 0.3), OUT, IN)
                .addF32("bias", random(r, OUT, 0.1), OUT)
                .write(file);
        Features x = Features.of(random(r, 3 * IN, 1), 3, IN);
        try (LinearAdaptor adaptor = LinearAdaptor.load(file)) {
            LeakCheck.assertFlat(adaptor.manager(), 50, i -> adaptor.adapt(x));
        }
    }

    @Test
    void should_read_language_projection_keys_from_a_checkpoint_folder() throws Exception {
        Random r = new Random(2);
        float[] w = random(r, OUT * IN, 0.3);
        float[] b = random(r, OUT, 0.1);
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"instructblip\"}");
        SafetensorsWriter.create()
                .addF32("language_projection.weight", w, OUT, IN)
                .addF32("language_projection.bias", b, OUT)
                .addF32("other.weight", new float[] {1, 2}, 2)
                .write(dir.resolve("model.safetensors"));
        float[] x = random(r, 3 * IN, 1);
        try (LinearAdaptor folder = LinearAdaptor.load(dir);
                LinearAdaptor file = LinearAdaptor.load(dir.resolve("model.safetensors"));
                LinearAdaptor direct = LinearAdaptor.of(w, b, IN, OUT)) {
            float[] expected = reference(x, 3, w, b, IN, OUT);
            assertClose(expected, folder.adapt(Features.of(x, 3, IN)).data());
            assertClose(expected, file.adapt(Features.of(x, 3, IN)).data());
            assertClose(expected, direct.adapt(Features.of(x, 3, IN)).data());
        }
    }

    @Test
    void should_reject_features_of_the_wrong_width() {
        try (LinearAdaptor adaptor = LinearAdaptor.of(new float[OUT * IN], null, IN, OUT)) {
            InvalidArgumentException e = assertThrows(
                    InvalidArgumentException.class, () -> adaptor.adapt(Features.of(new float[IN + 1], 1, IN + 1)));
            assertTrue(e.getMessage().contains(String.valueOf(IN)), e.getMessage());
        }
    }

    @Test
    void should_list_the_tensors_when_the_file_has_no_adaptor_weights() {
        Path file = tmp.resolve("wrong.safetensors");
        SafetensorsWriter.create().addF32("proj.w", new float[4], 2, 2).write(file);
        CheckpointException e = assertThrows(CheckpointException.class, () -> LinearAdaptor.load(file));
        assertTrue(e.getMessage().contains("proj.w"), e.getMessage());
    }

    @Test
    void should_be_idempotent_when_closed_twice() {
        LinearAdaptor adaptor = LinearAdaptor.of(new float[OUT * IN], new float[OUT], IN, OUT);
        adaptor.close();
        adaptor.close();
        assertThrows(IllegalStateException.class, () -> adaptor.adapt(Features.of(new float[IN], 1, IN)));
    }
}
