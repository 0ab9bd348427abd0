package org.vlalign.core.metrics;

import java.util.List;
import org.vlalign.InvalidArgumentException;

/**
 * A ridge-regression linear probe: how much of a label a frozen representation carries linearly. It fits
 * {@code W} minimising {@code ‖X W − Y‖² + λ ‖W‖²} on one-hot labels (features centred on the training mean,
 * labels likewise) and predicts the arg-max class; {@link #accuracy} is the share of held-out items it gets
 * right.
 *
 * <p>It solves the dual system {@code (X Xᵀ + λ I) α = Y} by Cholesky, so its cost is {@code n² d + n³ / 3}
 * for {@code n} training items of {@code d} features: probes of thousands of features on hundreds to a few
 * thousand items run in seconds. {@code λ} is relative: {@code ridge} times the mean squared norm of the
 * centred training rows, so it needs no tuning to the features' scale.
 *
 * <p>Stateless and thread-safe.
 *
 * <pre>{@code
 * double acc = LinearProbe.accuracy(trainFeatures, trainLabels, testFeatures, testLabels, classes, 1e-2);
 * }</pre>
 *
 * @since 0.2.0
 */
public final class LinearProbe {
    /** The relative ridge most callers want. */
    public static final double DEFAULT_RIDGE = 1e-2;

    private LinearProbe() {}

    /**
     * Fits on training items and scores held-out ones.
     *
     * @param train training feature rows, all of one length
     * @param trainLabels class of each training row, in {@code [0, classes)}
     * @param test held-out rows, same length
     * @param testLabels their classes
     * @param classes the number of classes, at least 2
     * @param ridge the relative ridge, positive
     * @return the held-out accuracy in [0, 1]
     * @throws InvalidArgumentException if the sizes disagree, a label is out of range, or a set is empty
     */
    public static double accuracy(List<float[]> train, int[] trainLabels, List<float[]> test, int[] testLabels,
            int classes, double ridge) {
        int[] predicted = predict(train, trainLabels, test, classes, ridge);
        if (testLabels.length != test.size()) {
            throw new InvalidArgumentException(test.size() + " test rows but " + testLabels.length + " labels");
        }
        int right = 0;
        for (int i = 0; i < predicted.length; i++) {
            right += predicted[i] == testLabels[i] ? 1 : 0;
        }
        return right / (double) predicted.length;
    }

    /**
     * Fits on training items and predicts the classes of others.
     *
     * @param train training feature rows, all of one length
     * @param trainLabels class of each training row, in {@code [0, classes)}
     * @param test rows to classify
     * @param classes the number of classes, at least 2
     * @param ridge the relative ridge, positive
     * @return the predicted class of each test row
     * @throws InvalidArgumentException if the sizes disagree, a label is out of range, or a set is empty
     */
    public static int[] predict(List<float[]> train, int[] trainLabels, List<float[]> test, int classes,
            double ridge) {
        int n = train.size();
        if (n == 0 || test.isEmpty() || trainLabels.length != n || classes < 2 || !(ridge > 0)) {
            throw new InvalidArgumentException("a probe needs training rows with one label each, test rows, at least"
                    + " 2 classes and a positive ridge; got " + n + " rows, " + trainLabels.length + " labels, "
                    + test.size() + " test rows, " + classes + " classes, ridge " + ridge);
        }
        int d = train.get(0).length;
        double[] mean = new double[d];
        for (float[] row : train) {
            if (row.length != d) {
                throw new InvalidArgumentException("feature rows must all have " + d + " values, one has " + row.length);
            }
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        double[][] x = centred(train, mean, d);
        double[][] k = new double[n][n]; // X Xᵀ
        double trace = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double dot = 0;
                for (int c = 0; c < d; c++) {
                    dot += x[i][c] * x[j][c];
                }
                k[i][j] = dot;
                k[j][i] = dot;
            }
            trace += k[i][i];
        }
        double lambda = ridge * Math.max(trace / n, 1e-12);
        double[] labelMean = new double[classes];
        for (int label : trainLabels) {
            if (label < 0 || label >= classes) {
                throw new InvalidArgumentException("label " + label + " is outside [0, " + classes + ")");
            }
            labelMean[label] += 1.0 / n;
        }
        double[][] y = new double[n][classes];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < classes; c++) {
                y[i][c] = (trainLabels[i] == c ? 1 : 0) - labelMean[c];
            }
            k[i][i] += lambda;
        }
        double[][] alpha = choleskySolve(k, y); // (n, classes)
        // W = Xᵀ α: (d, classes)
        double[][] w = new double[d][classes];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double xv = x[i][j];
                if (xv != 0) {
                    for (int c = 0; c < classes; c++) {
                        w[j][c] += xv * alpha[i][c];
                    }
                }
            }
        }
        double[][] t = centred(test, mean, d);
        int[] out = new int[t.length];
        for (int i = 0; i < t.length; i++) {
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                double score = labelMean[c];
                for (int j = 0; j < d; j++) {
                    score += t[i][j] * w[j][c];
                }
                if (score > bestScore) {
                    bestScore = score;
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }

    private static double[][] centred(List<float[]> rows, double[] mean, int d) {
        double[][] x = new double[rows.size()][d];
        for (int i = 0; i < rows.size(); i++) {
            float[] r = rows.get(i);
            if (r.length != d) {
                throw new InvalidArgumentException("feature rows must all have " + d + " values, one has " + r.length);
            }
            for (int j = 0; j < d; j++) {
                x[i][j] = r[j] - mean[j];
            }
        }
        return x;
    }

    /** Solves {@code A X = B} for symmetric positive-definite {@code A}; {@code A} is overwritten. */
    private static double[][] choleskySolve(double[][] a, double[][] b) {
        int n = a.length;
        for (int j = 0; j < n; j++) { // A = L Lᵀ, L in the lower triangle
            double s = a[j][j];
            for (int k = 0; k < j; k++) {
                s -= a[j][k] * a[j][k];
            }
            a[j][j] = Math.sqrt(Math.max(s, 1e-300));
            for (int i = j + 1; i < n; i++) {
                double v = a[i][j];
                for (int k = 0; k < j; k++) {
                    v -= a[i][k] * a[j][k];
                }
                a[i][j] = v / a[j][j];
            }
        }
        int m = b[0].length;
        double[][] x = new double[n][m];
        for (int c = 0; c < m; c++) {
            double[] z = new double[n];
            for (int i = 0; i < n; i++) { // L z = b
                double v = b[i][c];
                for (int k = 0; k < i; k++) {
                    v -= a[i][k] * z[k];
                }
                z[i] = v / a[i][i];
            }
            for (int i = n - 1; i >= 0; i--) { // Lᵀ x = z
                double v = z[i];
                for (int k = i + 1; k < n; k++) {
                    v -= a[k][i] * x[k][c];
                }
                x[i][c] = v / a[i][i];
            }
        }
        return x;
    }
}
