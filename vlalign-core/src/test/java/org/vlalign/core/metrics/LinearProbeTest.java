package org.vlalign.core.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class LinearProbeTest {

    @Test
    void should_separate_classes_that_a_linear_map_tells_apart_and_not_noise() {
        long seed = 20261206L;
        Random r = new Random(seed);
        int d = 40;
        int classes = 5;
        float[][] centres = new float[classes][d];
        for (float[] c : centres) {
            for (int j = 0; j < d; j++) {
                c[j] = (float) r.nextGaussian();
            }
        }
        List<float[]> train = new ArrayList<>();
        List<float[]> test = new ArrayList<>();
        int[] trainLabels = new int[300];
        int[] testLabels = new int[200];
        for (int i = 0; i < 500; i++) {
            int label = r.nextInt(classes);
            float[] x = new float[d];
            for (int j = 0; j < d; j++) {
                x[j] = centres[label][j] + 0.5f * (float) r.nextGaussian();
            }
            if (i < 300) {
                train.add(x);
                trainLabels[i] = label;
            } else {
                test.add(x);
                testLabels[i - 300] = label;
            }
        }
        double separable = LinearProbe.accuracy(train, trainLabels, test, testLabels, classes, 1e-2);
        assertTrue(separable > 0.95, "seed " + seed + ": " + separable);
        int[] shuffled = testLabels.clone();
        for (int i = 0; i < shuffled.length; i++) {
            shuffled[i] = r.nextInt(classes); // labels unrelated to the features
        }
        double chance = LinearProbe.accuracy(train, trainLabels, test, shuffled, classes, 1e-2);
        assertTrue(chance < 0.35, "seed " + seed + ": " + chance);
    }

    @Test
    void should_predict_a_hand_checked_one_dimensional_case() {
        // 1-D points: class 0 around -1, class 1 around +1; centred least squares puts the boundary at 0
        List<float[]> train = List.of(new float[] {-1.2f}, new float[] {-0.8f}, new float[] {0.9f}, new float[] {1.1f});
        int[] predicted = LinearProbe.predict(train, new int[] {0, 0, 1, 1},
                List.of(new float[] {-0.1f}, new float[] {0.1f}, new float[] {3f}), 2, 1e-3);
        assertArrayEquals(new int[] {0, 1, 1}, predicted);
        assertThrows(InvalidArgumentException.class, () -> LinearProbe.predict(train, new int[] {0, 0, 1, 2},
                List.of(new float[] {0f}), 2, 1e-3));
        assertEquals(1.0, LinearProbe.accuracy(train, new int[] {0, 0, 1, 1}, train, new int[] {0, 0, 1, 1}, 2, 1e-3));
    }
}
