package org.vlalign.core.index;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;

/**
 * The child process of {@link ExactImageIndexCrashTest}: rewrites an index in rounds and commits after
 * each, printing {@code committed <round>} once a commit has returned, until it is killed.
 *
 * <p>Round {@code r} holds exactly the ids {@code img-r … img-(r+N-1)}, each with metadata {@code
 * round=r} and the vectors {@link #vectors(int, int, int) vectors(r, i, dim)}, so any committed
 * state can be recognised and checked.
 */
public final class CrashWriterMain {
    static final EmbeddingSpace SPACE = new EmbeddingSpace("crash-test", "fp", "none", 64);
    static final int IMAGES = 1500;
    static final int ROWS = 4;

    private CrashWriterMain() {}

    /**
     * Runs rounds until killed.
     *
     * @param args the index folder
     */
    public static void main(String[] args) {
        try (ExactImageIndex index = ExactImageIndex.open(Path.of(args[0]), SPACE)) {
            int round = currentRound(index);
            while (true) {
                round++;
                for (int i = round; i < round + IMAGES; i++) {
                    index.upsert(id(i), vectors(round, i, SPACE.dimension()), Map.of("round", "" + round));
                }
                index.remove(id(round - 1));
                index.commit();
                System.out.println("committed " + round);
                System.out.flush();
            }
        }
    }

    /** The round of the index's content, 0 when empty. */
    static int currentRound(ExactImageIndex index) {
        List<String> ids = index.ids();
        return ids.isEmpty() ? 0 : Integer.parseInt(index.metadata(ids.get(0)).orElseThrow().get("round"));
    }

    static String id(int i) {
        return String.format("img-%08d", i);
    }

    static Features vectors(int round, int i, int dim) {
        return IndexTestData.unitRows(ROWS, dim, new SplittableRandom(round * 1_000_003L + i));
    }
}
