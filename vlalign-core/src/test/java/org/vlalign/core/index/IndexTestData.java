package org.vlalign.core.index;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;

/**
 * Seeded random vectors, an independent brute-force ranking, a look at index folders and a way to damage their
 * files, for the index tests.
 */
public final class IndexTestData {
    public static final EmbeddingSpace SPACE = new EmbeddingSpace("test", "fp-1", "none", 16);

    private IndexTestData() {}

    /** {@code rows} random L2-normalised rows of width {@code dim}. */
    public static Features unitRows(int rows, int dim, SplittableRandom random) {
        float[] data = new float[rows * dim];
        for (int r = 0; r < rows; r++) {
            double norm = 0;
            double[] v = new double[dim];
            for (int c = 0; c < dim; c++) {
                v[c] = random.nextGaussian();
                norm += v[c] * v[c];
            }
            norm = Math.sqrt(norm);
            for (int c = 0; c < dim; c++) {
                data[r * dim + c] = (float) (v[c] / norm);
            }
        }
        return Features.of(data, rows, dim);
    }

    /** The max-over-rows dot product in double precision. */
    public static double score(Features image, float[] q) {
        double best = Double.NEGATIVE_INFINITY;
        float[] d = image.data();
        int dim = q.length;
        for (int r = 0; r < image.rows(); r++) {
            double s = 0;
            for (int c = 0; c < dim; c++) {
                s += (double) d[r * dim + c] * q[c];
            }
            best = Math.max(best, s);
        }
        return best;
    }

    /** The ids of the true top k, best first, ties by id. */
    public static List<Map.Entry<String, Double>> bruteForce(Map<String, Features> images, float[] q, int k) {
        List<Map.Entry<String, Double>> all = new ArrayList<>();
        for (Map.Entry<String, Features> e : images.entrySet()) {
            all.add(Map.entry(e.getKey(), score(e.getValue(), q)));
        }
        all.sort(
                Comparator.<Map.Entry<String, Double>>comparingDouble(Map.Entry::getValue)
                        .reversed()
                        .thenComparing(Map.Entry::getKey));
        return all.subList(0, Math.min(k, all.size()));
    }

    /**
     * The files directly in an index folder whose names match, e.g. to damage one.
     *
     * @param dir the folder
     * @param nameRegex the whole file name, e.g. {@code .*\\.vseg} or {@code segments_.*}
     * @return the matching files, sorted by name
     */
    public static List<Path> files(Path dir, String nameRegex) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().matches(nameRegex)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Damages a file in place: XORs the byte at an offset with a mask, as a bad sector or a bit flip would.
     *
     * @param file the file, e.g. one that {@link #files} found
     * @param offset where the byte is, from the start of the file
     * @param mask the bits to flip, non-zero
     * @throws IOException if the file cannot be read or written
     */
    public static void flipBits(Path file, long offset, int mask) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ mask));
            b.rewind();
            ch.write(b, offset);
        }
    }
}
