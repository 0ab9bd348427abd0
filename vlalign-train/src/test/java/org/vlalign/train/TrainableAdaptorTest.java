package org.vlalign.train;

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
import org.vlalign.torch.internal.adaptor.LinearAdaptor;
import org.vlalign.torch.internal.adaptor.MlpAdaptor;
import org.vlalign.torch.internal.checkpoint.TorchCheckpoint;
import org.vlalign.core.checkpoint.SafetensorsWriter;

class TrainableAdaptorTest {

    private static final String W = LinearAdaptor.LANGUAGE_PROJECTION + "weight";
    private static final String B = LinearAdaptor.LANGUAGE_PROJECTION + "bias";

    @TempDir
    Path dir;

    @Test
    void should_compute_x_times_w_transposed_plus_b() {
        float[] w = {1, 2, 3, -1, 0, 0.5f}; // (2, 3)
        float[] b = {0.5f, -1};
        try (TrainableAdaptor a = TrainableAdaptor.of(TrainableAdaptor.Kind.LINEAR, Map.of(W, w, B, b),
                Map.of(W, new long[] {2, 3}, B, new long[] {2}))) {
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
            for (float[] v : a.parameters().values().values()) {
                for (float x : v) {
                    assertTrue(Math.abs(x) <= bound, "value " + x);
                }
            }
            try (TrainableAdaptor same = TrainableAdaptor.linear(16, 8, 1L)) {
                assertArrayEquals(a.parameters().values().get(W), same.parameters().values().get(W));
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
                assertEquals(loaded.parameters().keys(), again.parameters().keys());
                assertEquals(a.parameters().keys(), loaded.parameters().keys());
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
            assertEquals(java.util.List.of(W, B), a.parameters().keys(), "keys the InstructBLIP loader reads");
        }
        Path other = dir.resolve("other.safetensors");
        SafetensorsWriter.create().addF32("something", new float[] {1}, 1).write(other);
        assertThrows(CheckpointException.class, () -> TrainableAdaptor.load(other));
        assertThrows(InvalidArgumentException.class, () -> TrainableAdaptor.linear(0, 4, 1L));
    }

    @Test
    void should_refuse_values_that_do_not_fit_the_kind() {
        assertThrows(InvalidArgumentException.class, () -> TrainableAdaptor.of(TrainableAdaptor.Kind.LINEAR,
                Map.of("weight", new float[2], "bias", new float[1]), Map.of("weight", new long[] {1, 2},
                        "bias", new long[] {1})), "unprefixed keys are not the adaptor's");
        String p = MlpAdaptor.MULTI_MODAL_PROJECTOR;
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> TrainableAdaptor.of(TrainableAdaptor.Kind.MLP,
                        Map.of(p + "linear_1.weight", new float[6], p + "linear_1.bias", new float[2],
                                p + "linear_2.weight", new float[12], p + "linear_2.bias", new float[4]),
                        Map.of(p + "linear_1.weight", new long[] {2, 3}, p + "linear_1.bias", new long[] {2},
                                p + "linear_2.weight", new long[] {4, 3}, p + "linear_2.bias", new long[] {4})));
        assertTrue(e.getMessage().contains("do not chain"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> TrainableAdaptor.of(TrainableAdaptor.Kind.LINEAR,
                Map.of(W, new float[5], B, new float[2]), Map.of(W, new long[] {2, 3}, B, new long[] {2})),
                "5 values for a (2, 3) weight");
    }
}
