package org.vlalign.core.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;
import org.vlalign.Answer;
import org.vlalign.Features;
import org.vlalign.ImageInput;

/**
 * Helpers shared by the contract suites: small generated images, tolerant comparisons of
 * {@link Features}, and a runner that calls a task from many threads at once.
 *
 * <p>Stateless and thread-safe.
 *
 * @since 0.1.0
 */
public final class ContractSupport {
    /** Threads used by the concurrency checks of every suite. */
    public static final int THREADS = 8;

    private ContractSupport() {}

    /**
     * A PNG image of the given size with a horizontal gradient between two colours and a filled
     * rectangle in a third, so that regions differ.
     *
     * @param width the width
     * @param height the height
     * @param left the colour of the left edge
     * @param right the colour of the right edge
     * @param patch the colour of a rectangle in the lower right quarter
     * @return the encoded image
     */
    public static ImageInput pngImage(int width, int height, Color left, Color right, Color patch) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int x = 0; x < width; x++) {
            float t = width == 1 ? 0 : x / (float) (width - 1);
            int r = Math.round(left.getRed() + t * (right.getRed() - left.getRed()));
            int g = Math.round(left.getGreen() + t * (right.getGreen() - left.getGreen()));
            int b = Math.round(left.getBlue() + t * (right.getBlue() - left.getBlue()));
            int rgb = (r << 16) | (g << 8) | b;
            for (int y = 0; y < height; y++) {
                image.setRGB(x, y, rgb);
            }
        }
        Graphics2D g = image.createGraphics();
        g.setColor(patch);
        g.fillRect(width / 2, height / 2, Math.max(1, width / 4), Math.max(1, height / 4));
        g.dispose();
        return ImageInput.of(encodePng(image));
    }

    /**
     * A PNG image of one colour.
     *
     * @param width the width
     * @param height the height
     * @param color the colour
     * @return the encoded image
     */
    public static ImageInput solidImage(int width, int height, Color color) {
        return pngImage(width, height, color, color, color);
    }

    /**
     * Encodes an image as PNG.
     *
     * @param image the image
     * @return the PNG bytes
     */
    public static byte[] encodePng(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer available");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Bytes that start like a PNG file but are cut off after a few bytes of the header, so every
     * decoder must reject them.
     *
     * @return the input
     */
    public static ImageInput corruptImage() {
        byte[] png = encodePng(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB));
        byte[] cut = new byte[20];
        System.arraycopy(png, 0, cut, 0, cut.length);
        return ImageInput.of(cut);
    }

    /**
     * Bytes that are no image format at all.
     *
     * @return the input
     */
    public static ImageInput garbageImage() {
        byte[] junk = new byte[64];
        for (int i = 0; i < junk.length; i++) {
            junk[i] = (byte) (i * 37 + 11);
        }
        return ImageInput.of(junk);
    }

    /**
     * Asserts that two generations are the same: token ids, text, finish reason and prompt length (timings
     * may differ).
     *
     * @param expected the reference generation
     * @param actual the generation under test
     * @param what what is compared, for the messages
     */
    public static void assertSameGeneration(Answer expected, Answer actual, String what) {
        assertArrayEquals(expected.tokenIds(), actual.tokenIds(), what + ": token ids");
        assertEquals(expected.text(), actual.text(), what + ": text");
        assertEquals(expected.finishReason(), actual.finishReason(), what + ": finish reason");
        assertEquals(expected.promptTokens(), actual.promptTokens(), what + ": prompt tokens");
    }

    /**
     * Asserts equal shapes and values within {@code abs + rel * |expected|} per element.
     *
     * @param expected the expected features
     * @param actual the actual features
     * @param abs the absolute tolerance
     * @param rel the relative tolerance
     * @param what a description for the failure message
     */
    public static void assertClose(
            Features expected, Features actual, double abs, double rel, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        float[] e = expected.data();
        float[] a = actual.data();
        for (int i = 0; i < e.length; i++) {
            double diff = Math.abs((double) e[i] - a[i]);
            if (!(diff <= abs + rel * Math.abs(e[i]))) {
                fail(String.format(
                        "%s: element %d (row %d, col %d) differs: expected %s but was %s (|diff| %s > %s)",
                        what, i, i / expected.cols(), i % expected.cols(), e[i], a[i], diff,
                        abs + rel * Math.abs(e[i])));
            }
        }
    }

    /**
     * Asserts that every row of the features has L2 norm 1 within a tolerance.
     *
     * @param features the features
     * @param tolerance the allowed deviation of each norm from 1
     * @param what a description for the failure message
     */
    public static void assertRowsNormalised(Features features, double tolerance, String what) {
        for (int r = 0; r < features.rows(); r++) {
            double sum = 0;
            for (float v : features.row(r)) {
                sum += (double) v * v;
            }
            assertEquals(1.0, Math.sqrt(sum), tolerance, what + ": L2 norm of row " + r);
        }
    }

    /**
     * The dot product of two equally long vectors, in double precision.
     *
     * @param a one vector
     * @param b the other
     * @return the dot product
     */
    public static double dot(float[] a, float[] b) {
        assertEquals(a.length, b.length, "vector lengths");
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += (double) a[i] * b[i];
        }
        return sum;
    }

    /**
     * Runs {@code tasks} calls of a task on {@link #THREADS} threads that all start together, and
     * returns the results in task order. The first failure is rethrown with the failing task's
     * index.
     *
     * @param tasks the number of calls
     * @param task the task, given its index
     * @param <T> the result type
     * @return the results, by task index
     */
    public static <T> List<T> runConcurrently(int tasks, IntFunction<T> task) {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                int index = i;
                Callable<T> call = () -> {
                    start.await();
                    return task.apply(index);
                };
                futures.add(pool.submit(call));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                try {
                    results.add(futures.get(i).get(5, TimeUnit.MINUTES));
                } catch (ExecutionException e) {
                    throw new AssertionError("concurrent task " + i + " failed: " + e.getCause(), e.getCause());
                } catch (Exception e) {
                    throw new AssertionError("concurrent task " + i + " did not finish: " + e, e);
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
