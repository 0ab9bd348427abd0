package org.vlalign.torch.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlalign.CheckpointException;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.adaptor.MlpAdaptor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;

class TrainableAdaptorTest {

    @TempDir
    Path dir;

    @Test
    void should_compute_x_times_w_transposed_plus_b() {
        float[] w = {1, 2, 3, -1, 0, 0.5f}; // (2, 3)
        float[] b = {0.5f, -1};
        try (TrainableAdaptor a = TrainableAdaptor.of(TrainableAdaptor.Kind.LINEAR, Map.of("weight", w, "bias", b),
                Map.of("weight", new long[] {2, 3}, "bias", new long[] {2}))) {
            Features out = a.adapt(Features.of(new float[] {1, 1, 1, 2, 0, -2}, 2, 3));
            assertArrayEquals(new float[] {6.5f, -1.5f, -3.5f, -4}, out.data(), 1e-6f);
            assertEquals(3, a.inputDim());
            assertEquals(2, a.outputDim());
        }
    }

    @Test
    void should_initialise_like_torch_linear_within_the_fan_in_bound() {
        try (TrainableAdaptor a = TrainableAdaptor.linear(16, 8, 1L)) {
            double bound = 1 / Math.sqrt(16);
            for (float[] v : a.values().values()) {
                for (float x : v) {
                    assertTrue(Math.abs(x) <= bound, "value " + x);
                }
            }
            try (TrainableAdaptor same = TrainableAdaptor.linear(16, 8, 1L)) {
                assertArrayEquals(a.values().get("weight"), same.values().get("weight"));
            }
        }
    }

    @Test
    void should_export_an_mlp_that_the_llava_projector_loads() {
        Features f = Features.of(new float[] {0.3f, -1, 2, 0.1f, 0, 1, -0.5f, 0.25f}, 2, 4);
        try (TrainableAdaptor a = TrainableAdaptor.mlp(4, 6, 5, 3L)) {
            Path file = dir.resolve("projector.safetensors");
            a.export(file);
            try (TorchCheckpoint ckpt = TorchCheckpoint.openFile(file);
                    MlpAdaptor loaded = MlpAdaptor.load(ckpt, MlpAdaptor.MULTI_MODAL_PROJECTOR, "gelu");
                    TrainableAdaptor again = TrainableAdaptor.load(file)) {
                float[] expected = a.adapt(f).data();
                assertArrayEquals(expected, loaded.adapt(f).data(), 1e-6f);
                assertArrayEquals(expected, again.adapt(f).data(), 0f);
                assertEquals(TrainableAdaptor.Kind.MLP, again.kind());
            }
        }
    }

    @Test
    void should_load_unprefixed_linear_weights_and_reject_other_files() {
        Path file = dir.resolve("linear.safetensors");
        SafetensorsWriter.create().addF32("weight", new float[] {1, 2}, 1, 2).addF32("bias", new float[] {3}, 1)
                .write(file);
        try (TrainableAdaptor a = TrainableAdaptor.load(file)) {
            assertArrayEquals(new float[] {6}, a.adapt(Features.of(new float[] {1, 1}, 1, 2)).data(), 0f);
        }
        Path other = dir.resolve("other.safetensors");
        SafetensorsWriter.create().addF32("something", new float[] {1}, 1).write(other);
        assertThrows(CheckpointException.class, () -> TrainableAdaptor.load(other));
        assertThrows(InvalidArgumentException.class, () -> TrainableAdaptor.linear(0, 4, 1L));
    }
}
