package org.vlalign.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.vlalign.Features;
import org.vlalign.InvalidArgumentException;
import org.vlalign.torch.internal.NdArrays;

class AdamWTest {

    private static final long SEED = new Random().nextLong();
    private static final String W = "language_projection.weight";
    private static final String B = "language_projection.bias";

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static TrainableAdaptor adaptor(float[] w, float[] b) {
        return TrainableAdaptor.of(TrainableAdaptor.Kind.LINEAR, Map.of(W, w, B, b),
                Map.of(W, new long[] {2, 3}, B, new long[] {2}));
    }

    private static Map<String, NDArray> grads(NDManager m, float[] gw, float[] gb) {
        Map<String, NDArray> g = new LinkedHashMap<>();
        g.put(W, NdArrays.floats(m, gw, 2, 3));
        g.put(B, NdArrays.floats(m, gb, 2));
        return g;
    }

    @Test
    void should_move_each_weight_by_about_lr_against_the_gradient_sign_on_the_first_step() {
        // step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g| + eps) after decay
        float[] w = {1, -2, 3, 0.5f, 0, -1};
        float[] b = {0.25f, -0.25f};
        try (TrainableAdaptor a = adaptor(w, b);
                AdamW opt = new AdamW(a.parameters(), new AdamW.Options(0.9, 0.999, 1e-8, 0.1));
                NDManager m = NDManager.newBaseManager()) {
            NDArray weight = a.parameters().get(W);
            float[] gw = {0.5f, -3, 1e-3f, 2, -0.01f, 7};
            opt.update(grads(m, gw, new float[] {1, -1}), 0.01);
            float[] expected = new float[6];
            for (int i = 0; i < 6; i++) {
                expected[i] = (float) (w[i] * (1 - 0.01 * 0.1) - 0.01 * Math.signum(gw[i]));
            }
            assertArrayEquals(expected, a.parameters().values().get(W), 1e-6f);
            assertEquals(1, opt.step());
            assertSame(weight, a.parameters().get(W), "updated in place: the adaptor keeps its array");
            // and the adaptor computes with the new values: x = e_0 picks column 0 of W plus the bias
            Features out = a.adapt(Features.of(new float[] {1, 0, 0}, 1, 3));
            float[] bias = a.parameters().values().get(B);
            assertArrayEquals(new float[] {expected[0] + bias[0], expected[3] + bias[1]}, out.data(), 1e-6f);
        }
    }

    @Test
    void should_match_a_scalar_reference_over_several_steps() {
        Random r = new Random(SEED);
        float[] w = random(r, 6);
        float[] b = random(r, 2);
        AdamW.Options o = new AdamW.Options(0.8, 0.95, 1e-6, 0.05);
        double[] ref = new double[8];
        double[] mRef = new double[8];
        double[] vRef = new double[8];
        for (int i = 0; i < 6; i++) {
            ref[i] = w[i];
        }
        ref[6] = b[0];
        ref[7] = b[1];
        try (TrainableAdaptor a = adaptor(w, b); AdamW opt = new AdamW(a.parameters(), o);
                NDManager m = NDManager.newBaseManager()) {
            for (int t = 1; t <= 5; t++) {
                float[] g = random(r, 8);
                double lr = 0.01 * t;
                opt.update(grads(m, java.util.Arrays.copyOf(g, 6), new float[] {g[6], g[7]}), lr);
                for (int i = 0; i < 8; i++) {
                    ref[i] *= 1 - lr * o.weightDecay();
                    mRef[i] = o.beta1() * mRef[i] + (1 - o.beta1()) * g[i];
                    vRef[i] = o.beta2() * vRef[i] + (1 - o.beta2()) * g[i] * g[i];
                    double mHat = mRef[i] / (1 - Math.pow(o.beta1(), t));
                    double vHat = vRef[i] / (1 - Math.pow(o.beta2(), t));
                    ref[i] -= lr * mHat / (Math.sqrt(vHat) + o.eps());
                }
            }
            float[] gotW = a.parameters().values().get(W);
            float[] gotB = a.parameters().values().get(B);
            for (int i = 0; i < 6; i++) {
                assertEquals(ref[i], gotW[i], 1e-5, "weight " + i + ", seed " + SEED);
            }
            assertEquals(ref[6], gotB[0], 1e-5, "seed " + SEED);
            assertEquals(ref[7], gotB[1], 1e-5, "seed " + SEED);
        }
    }

    @Test
    void should_continue_identically_after_restoring_its_state() {
        Random r = new Random(SEED);
        float[] w = random(r, 6);
        float[] b = random(r, 2);
        List<float[]> gs = List.of(random(r, 8), random(r, 8), random(r, 8));
        try (NDManager m = NDManager.newBaseManager(); TrainableAdaptor a1 = adaptor(w, b);
                AdamW o1 = new AdamW(a1.parameters(), AdamW.Options.DEFAULT)) {
            for (float[] g : gs) {
                o1.update(grads(m, java.util.Arrays.copyOf(g, 6), new float[] {g[6], g[7]}), 0.02);
            }
            AdamW.State mid;
            Map<String, float[]> midParams;
            try (TrainableAdaptor a2 = adaptor(w, b); AdamW o2 = new AdamW(a2.parameters(), AdamW.Options.DEFAULT)) {
                for (float[] g : gs.subList(0, 2)) {
                    o2.update(grads(m, java.util.Arrays.copyOf(g, 6), new float[] {g[6], g[7]}), 0.02);
                }
                mid = o2.state();
                midParams = a2.parameters().values();
            }
            try (TrainableAdaptor a3 = TrainableAdaptor.of(TrainableAdaptor.Kind.LINEAR, midParams,
                    Map.of(W, new long[] {2, 3}, B, new long[] {2}));
                    AdamW o3 = new AdamW(a3.parameters(), AdamW.Options.DEFAULT)) {
                o3.restore(mid);
                assertEquals(2, o3.step());
                float[] g = gs.get(2);
                o3.update(grads(m, java.util.Arrays.copyOf(g, 6), new float[] {g[6], g[7]}), 0.02);
                assertArrayEquals(a1.parameters().values().get(W), a3.parameters().values().get(W), 0f);
                assertArrayEquals(a1.parameters().values().get(B), a3.parameters().values().get(B), 0f);
            }
        }
    }

    @Test
    void should_reject_invalid_options_and_gradients_for_other_keys() {
        assertThrows(InvalidArgumentException.class, () -> new AdamW.Options(1.0, 0.9, 1e-8, 0));
        assertThrows(InvalidArgumentException.class, () -> new AdamW.Options(0.9, 0.9, 0, 0));
        assertThrows(InvalidArgumentException.class, () -> new AdamW.Options(0.9, 0.9, 1e-8, -1));
        try (TrainableAdaptor a = adaptor(new float[6], new float[2]);
                AdamW opt = new AdamW(a.parameters(), AdamW.Options.DEFAULT);
                NDManager m = NDManager.newBaseManager()) {
            assertThrows(InvalidArgumentException.class,
                    () -> opt.update(Map.of(W, NdArrays.floats(m, new float[6], 2, 3)), 0.1));
            assertEquals(0, opt.step());
        }
    }
}
