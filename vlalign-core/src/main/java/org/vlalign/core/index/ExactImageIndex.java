package org.vlalign.core.index;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.IndexCorruptedException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.VlalignException;
import org.vlalign.core.Closeables;

/**
 * The embedded exact image index: every search scans every stored vector, so results are exact.
 *
 * <p>Vectors live in a few large segments, each one contiguous {@code float[]}; the scan is a
 * register-blocked dot product per row, the maximum over an image's rows is its score, and a bounded
 * heap keeps the top {@code k} (ties broken by id). Large indexes are scanned in parallel slices on
 * the common fork-join pool. One query over {@code n} vectors of width {@code d} reads {@code 4·n·d}
 * bytes, so its latency is bounded by memory bandwidth.
 *
 * <p>Persistent indexes ({@link #open}) keep immutable segment files and a manifest; {@link #commit()}
 * writes new segments under temporary names, forces them to disk, renames them and atomically
 * replaces the manifest, so a crash at any moment leaves the previous commit readable. Files are
 * versioned and CRC32C-checksummed; damage is reported as {@link IndexCorruptedException}. The
 * {@link EmbeddingSpace} is stored in the manifest and checked on open; every segment's checksum is
 * compared with the one the manifest recorded, and no array is sized from a count the file sizes do
 * not vouch for. One process at a time may open a folder for writing (a file lock guards it); any
 * number may {@link #openReadOnly read} its last commit meanwhile, without the lock.
 *
 * <p>Thread-safe: searches hold a read lock and run concurrently; writes take the write lock for the
 * time of an in-memory append, so a search sees an image either before or after a write. Commits are
 * serialised and hold the write lock only while they seal the open segment; the disk writes run
 * while searches and writes continue.
 *
 * <pre>{@code
 * try (ExactImageIndex index = ExactImageIndex.open(Path.of("photos.idx"), model.embeddingSpace())) {
 *     index.upsert("cat.jpg", model.embedImage(ImageInput.of(Path.of("cat.jpg"))), Map.of());
 *     index.commit();
 *     List<SearchHit> hits = index.search(model.embedText("a cat"), 10);
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class ExactImageIndex implements ImageIndex {
    private static final String LOCK_FILE = "write.lock";
    /** Below this many floats a search runs on the calling thread only. */
    private static final long PARALLEL_FLOATS = 1L << 22;
    /** Sealed segments beyond this count trigger a merge of the small ones at commit. */
    private static final int MAX_SEGMENTS = 10;

    private final EmbeddingSpace space;
    private final int dim;
    private final Path dir; // null for an in-memory index
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();
    private final ReentrantLock commitLock = new ReentrantLock();
    private final boolean readOnly;
    // guarded by rw
    private final List<ExactSegment> segments = new ArrayList<>();
    private ExactSegment open;
    private final Map<String, Loc> byId = new HashMap<>();
    private final Set<String> obsoleteFiles = new HashSet<>();
    private boolean dirty;
    private long generation;
    private long nextSegment;
    private volatile boolean closed;

    private record Loc(ExactSegment segment, int ord) {}

    private ExactImageIndex(EmbeddingSpace space, Path dir, FileChannel lockChannel, FileLock lock, boolean readOnly) {
        this.space = space;
        this.dim = space.dimension();
        this.dir = dir;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.readOnly = readOnly;
        this.open = newOpenSegment();
    }

    /**
     * A new empty index held in memory only; {@link #commit()} does nothing.
     *
     * @param space the space of all vectors
     * @return the index
     */
    public static ExactImageIndex inMemory(EmbeddingSpace space) {
        if (space == null) {
            throw new InvalidArgumentException("space must not be null");
        }
        return new ExactImageIndex(space, null, null, null, false);
    }

    /**
     * Whether a folder holds an exact index (its manifest), so other index kinds can refuse it.
     *
     * @param dir the folder
     * @return true if the folder has an exact index's manifest
     */
    public static boolean isExactIndex(Path dir) {
        return java.nio.file.Files.exists(dir.resolve(ExactIndexFiles.MANIFEST));
    }

    /**
     * Opens the index in a folder, creating the folder and an empty index if there is none.
     *
     * @param dir the folder
     * @param space the space the caller embeds in; must equal the space the index was built in
     * @return the index, holding the last commit
     * @throws InvalidArgumentException if the index was built in another space
     * @throws IndexCorruptedException if a file is damaged or of an unknown version
     * @throws VlalignException if the folder cannot be used or another process has it open
     */
    public static ExactImageIndex open(Path dir, EmbeddingSpace space) {
        if (dir == null || space == null) {
            throw new InvalidArgumentException("dir and space must not be null");
        }
        FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            // refuse a folder that is not an index before leaving a lock file in it
            if (ExactIndexFiles.readManifest(dir) == null) {
                checkNoForeignFiles(dir);
            }
            ch = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new VlalignException(
                        "The index at " + dir + " is already open (its " + LOCK_FILE + " is held by"
                                + " this or another process). Close the other instance first, or"
                                + " share one instance: it is thread-safe.");
            }
            ExactImageIndex index = new ExactImageIndex(space, dir, ch, lock, false);
            try {
                index.load();
            } catch (RuntimeException e) {
                index.close();
                throw e;
            }
            return index;
        } catch (IOException e) {
            Closeables.closeQuietly(ch);
            throw new VlalignException(
                    "Could not open the index folder " + dir + ": " + e.getMessage()
                            + ". Check that it is a writable local folder.", e);
        } catch (RuntimeException e) {
            if (ch != null && ch.isOpen()) {
                Closeables.closeQuietly(ch);
            }
            throw e;
        }
    }

    private void load() throws IOException {
        ExactIndexFiles.Manifest m = ExactIndexFiles.readManifest(dir);
        if (m == null) {
            checkNoForeignFiles(dir);
            deleteUnreferenced(Set.of());
            ExactIndexFiles.writeManifest(dir, new ExactIndexFiles.Manifest(0, 0, space, List.of()));
            return;
        }
        IndexChecks.checkSameSpace(dir, m.space(), space);
        Set<String> referenced = new HashSet<>();
        for (ExactIndexFiles.SegmentRef ref : m.segments()) {
            referenced.add(ref.name());
        }
        deleteUnreferenced(referenced);
        loadSegments(m);
    }

    private void loadSegments(ExactIndexFiles.Manifest m) {
        for (ExactIndexFiles.SegmentRef ref : m.segments()) {
            ExactSegment seg = ExactIndexFiles.readSegment(dir, ref, dim);
            segments.add(seg);
            for (int i = 0; i < seg.count; i++) {
                if (!seg.deleted.get(i)) {
                    Loc previous = byId.put(seg.ids[i], new Loc(seg, i));
                    if (previous != null) {
                        // cannot come from a commit of this class; keep the newest copy
                        previous.segment().delete(previous.ord());
                    }
                }
            }
        }
        generation = m.generation();
        nextSegment = m.nextSegment();
    }

    private static void checkNoForeignFiles(Path dir) throws IOException {
        List<String> foreign = new ArrayList<>();
        for (Path p : list(dir)) {
            String name = p.getFileName().toString();
            if (!name.equals(LOCK_FILE) && !name.endsWith(ExactIndexFiles.TMP_SUFFIX)) {
                foreign.add(name);
            }
        }
        if (!foreign.isEmpty()) {
            throw new IndexCorruptedException(
                    "The folder " + dir + " has no " + ExactIndexFiles.MANIFEST + " but holds "
                            + (foreign.size() > 10 ? foreign.subList(0, 10) + " and " + (foreign.size() - 10)
                                    + " more" : foreign)
                            + ": it is not an exact vlalign index, or its manifest was"
                            + " deleted. Open an empty or new folder, or restore the manifest"
                            + " from a backup.");
        }
    }

    /**
     * Opens the last commit of an index folder for searching only, without the writer's lock: it
     * works while another process (or instance) writes and commits to the folder, and creates no
     * file. Commits made after the open are not seen; open again to see them. Writes throw.
     *
     * @param dir a folder holding an exact index
     * @param space the space the caller embeds in; must equal the space the index was built in
     * @return the index, holding the last commit in memory
     * @throws InvalidArgumentException if the index was built in another space
     * @throws IndexCorruptedException if the folder holds no index or a file is damaged
     * @throws VlalignException if the folder cannot be read
     * @since 0.2.0
     */
    public static ExactImageIndex openReadOnly(Path dir, EmbeddingSpace space) {
        if (dir == null || space == null) {
            throw new InvalidArgumentException("dir and space must not be null");
        }
        // a writer that commits meanwhile deletes the segments the new manifest no longer names:
        // read the manifest again when one disappears under us
        for (int attempt = 1; ; attempt++) {
            ExactIndexFiles.Manifest m = ExactIndexFiles.readManifest(dir);
            if (m == null) {
                throw new IndexCorruptedException("The folder " + dir + " holds no exact vlalign index (no "
                        + ExactIndexFiles.MANIFEST + "). Build one first with 'vlalign index', or check the path.");
            }
            IndexChecks.checkSameSpace(dir, m.space(), space);
            ExactImageIndex index = new ExactImageIndex(space, dir, null, null, true);
            try {
                index.loadSegments(m);
                return index;
            } catch (IndexCorruptedException e) {
                index.close();
                if (attempt >= 5 || !(e.getCause() instanceof java.nio.file.NoSuchFileException)
                        || isSameManifest(dir, m)) {
                    throw e;
                }
            }
        }
    }

    private static boolean isSameManifest(Path dir, ExactIndexFiles.Manifest m) {
        ExactIndexFiles.Manifest now = ExactIndexFiles.readManifest(dir);
        return now != null && now.generation() == m.generation() && now.nextSegment() == m.nextSegment();
    }

    private void checkWritable() {
        if (readOnly) {
            throw new VlalignException("The index at " + dir + " was opened read-only (openReadOnly);"
                    + " open it with ExactImageIndex.open to write.");
        }
    }

    private void deleteUnreferenced(Set<String> referenced) throws IOException {
        for (Path p : list(dir)) {
            String name = p.getFileName().toString();
            boolean ours =
                    name.endsWith(ExactIndexFiles.TMP_SUFFIX)
                            || (name.startsWith(ExactIndexFiles.SEGMENT_PREFIX)
                                    && name.endsWith(ExactIndexFiles.SEGMENT_SUFFIX));
            if (ours && !referenced.contains(name)) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        }
        return out;
    }

    private ExactSegment newOpenSegment() {
        ExactSegment s = new ExactSegment(dim, 16, 64);
        segments.add(s);
        return s;
    }

    @Override
    public EmbeddingSpace space() {
        return space;
    }

    @Override
    public void upsert(String id, Features vectors, Map<String, String> metadata) {
        Map<String, String> meta = IndexChecks.checkUpsert(space, id, vectors, metadata);
        float[] data = vectors.data(); // (rows, dim)
        int rows = vectors.rows();
        checkWritable();
        rw.writeLock().lock();
        try {
            ensureOpen();
            Loc old = byId.remove(id);
            if (old != null) {
                old.segment().delete(old.ord());
            }
            byId.put(id, append(id, data, rows, meta));
            dirty = true;
        } finally {
            rw.writeLock().unlock();
        }
    }

    /** Appends to the open segment, sealing it and starting another when it is full. */
    private Loc append(String id, float[] data, int rows, Map<String, String> meta) {
        if (!open.fits(rows)) {
            open.trim();
            open = newOpenSegment();
        }
        return new Loc(open, open.append(id, data, rows, meta));
    }

    @Override
    public boolean remove(String id) {
        checkWritable();
        rw.writeLock().lock();
        try {
            ensureOpen();
            Loc old = byId.remove(id);
            if (old == null) {
                return false;
            }
            old.segment().delete(old.ord());
            dirty = true;
            return true;
        } finally {
            rw.writeLock().unlock();
        }
    }

    @Override
    public Optional<Map<String, String>> metadata(String id) {
        rw.readLock().lock();
        try {
            ensureOpen();
            Loc loc = byId.get(id);
            return loc == null
                    ? Optional.empty()
                    : Optional.of(loc.segment().metadata[loc.ord()]);
        } finally {
            rw.readLock().unlock();
        }
    }

    /**
     * The stored vectors of an image.
     *
     * @param id the id
     * @return its vectors, shape {@code (vectors, dimension)}, or empty if absent
     */
    @Override
    public Optional<Features> vectors(String id) {
        rw.readLock().lock();
        try {
            ensureOpen();
            Loc loc = byId.get(id);
            if (loc == null) {
                return Optional.empty();
            }
            float[] v = loc.segment().vectorsOf(loc.ord());
            return Optional.of(Features.of(v, v.length / dim, dim));
        } finally {
            rw.readLock().unlock();
        }
    }

    /**
     * The ids of all images, sorted.
     *
     * @return a snapshot of the ids
     */
    public List<String> ids() {
        rw.readLock().lock();
        try {
            ensureOpen();
            List<String> ids = new ArrayList<>(byId.keySet());
            ids.sort(Comparator.naturalOrder());
            return ids;
        } finally {
            rw.readLock().unlock();
        }
    }

    @Override
    public int size() {
        rw.readLock().lock();
        try {
            ensureOpen();
            return byId.size();
        } finally {
            rw.readLock().unlock();
        }
    }

    /**
     * The number of the last commit: 0 for a new index, incremented by each commit that wrote
     * changes.
     *
     * @return the generation
     */
    public long generation() {
        rw.readLock().lock();
        try {
            return generation;
        } finally {
            rw.readLock().unlock();
        }
    }

    @Override
    public List<SearchHit> search(Features query, int kAsked) {
        float[] q = IndexChecks.checkQuery(space, query, kAsked); // (dim)
        rw.readLock().lock();
        try {
            ensureOpen();
            long floats = 0;
            long stored = 0;
            for (ExactSegment s : segments) {
                floats += (long) s.rows * dim;
                stored += s.count;
            }
            if (stored == 0) {
                return List.of();
            }
            // k is clamped to the images stored, never allocated as asked
            int k = (int) Math.min(kAsked, stored);
            // a parallel stream runs on the pool's workers and on the calling thread
            int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
            if (floats < PARALLEL_FLOATS || threads < 2) {
                TopHits top = new TopHits(k);
                for (ExactSegment s : segments) {
                    scan(q, s, 0, s.count, top);
                }
                return top.toList();
            }
            // slices of about equal size so every worker gets a share
            long perSlice = Math.max(PARALLEL_FLOATS / 4, floats / (threads * 2L));
            List<int[]> slices = new ArrayList<>(); // (segmentIndex, from, to)
            for (int si = 0; si < segments.size(); si++) {
                ExactSegment s = segments.get(si);
                int from = 0;
                while (from < s.count) {
                    int to = from;
                    long size = 0;
                    while (to < s.count && size < perSlice) {
                        size += (long) (s.rowStart[to + 1] - s.rowStart[to]) * dim;
                        to++;
                    }
                    slices.add(new int[] {si, from, to});
                    from = to;
                }
            }
            List<TopHits> parts =
                    slices.parallelStream()
                            .map(
                                    sl -> {
                                        TopHits part = new TopHits(k);
                                        scan(q, segments.get(sl[0]), sl[1], sl[2], part);
                                        return part;
                                    })
                            .toList();
            TopHits top = new TopHits(k);
            parts.forEach(top::addAll);
            return top.toList();
        } finally {
            rw.readLock().unlock();
        }
    }

    private static void scan(float[] q, ExactSegment s, int from, int to, TopHits top) {
        float[] vectors = s.vectors; // (rows, dim)
        int[] rowStart = s.rowStart;
        boolean anyDeleted = s.deletedCount > 0;
        for (int i = from; i < to; i++) {
            if (anyDeleted && s.deleted.get(i)) {
                continue;
            }
            float score = VectorOps.maxDot(q, vectors, rowStart[i], rowStart[i + 1]);
            if (top.competitive(score)) {
                top.offer(score, s.ids[i], s.metadata[i]);
            }
        }
    }

    @Override
    public void commit() {
        if (dir == null) {
            return;
        }
        checkWritable();
        commitLock.lock();
        try {
            List<ExactSegment> snapshot;
            List<long[]> deletions = new ArrayList<>();
            Set<String> obsolete;
            long gen;
            rw.writeLock().lock();
            try {
                ensureOpen();
                if (!dirty) {
                    return;
                }
                mergeIfNeeded();
                if (open.count > 0) {
                    open.trim();
                    open = newOpenSegment();
                }
                snapshot = new ArrayList<>();
                for (ExactSegment s : segments) {
                    if (s.sealed) {
                        snapshot.add(s);
                        deletions.add(s.deleted.toLongArray());
                    }
                }
                obsolete = new HashSet<>(obsoleteFiles);
                gen = generation + 1;
                dirty = false;
            } finally {
                rw.writeLock().unlock();
            }
            try {
                List<ExactIndexFiles.SegmentRef> refs = new ArrayList<>();
                long next;
                for (int i = 0; i < snapshot.size(); i++) {
                    ExactSegment s = snapshot.get(i);
                    if (s.fileName == null) {
                        ExactIndexFiles.writeSegment(dir, allocateSegmentName(), s);
                    }
                    refs.add(
                            new ExactIndexFiles.SegmentRef(
                                    s.fileName, s.fileLength, s.fileCrc, s.count, deletions.get(i)));
                }
                rw.readLock().lock();
                try {
                    next = nextSegment;
                } finally {
                    rw.readLock().unlock();
                }
                ExactIndexFiles.forceDirectory(dir);
                ExactIndexFiles.writeManifest(
                        dir, new ExactIndexFiles.Manifest(gen, next, space, refs));
            } catch (IOException | RuntimeException e) {
                rw.writeLock().lock();
                try {
                    dirty = true;
                } finally {
                    rw.writeLock().unlock();
                }
                throw new VlalignException(
                        "Could not commit the index at " + dir + ": " + e.getMessage()
                                + ". The previous commit (generation " + generation
                                + ") is intact; free disk space or fix permissions and commit again.",
                        e);
            }
            rw.writeLock().lock();
            try {
                generation = gen;
                obsoleteFiles.removeAll(obsolete);
            } finally {
                rw.writeLock().unlock();
            }
            for (String name : obsolete) {
                try {
                    Files.deleteIfExists(dir.resolve(name));
                } catch (IOException e) {
                    // harmless: an unreferenced segment is deleted at the next open
                }
            }
        } finally {
            commitLock.unlock();
        }
    }

    private String allocateSegmentName() {
        rw.writeLock().lock();
        try {
            return ExactIndexFiles.segmentName(nextSegment++);
        } finally {
            rw.writeLock().unlock();
        }
    }

    /**
     * Drops segments that are mostly deleted and, when there are many segments, the small ones, by
     * copying their live images into the open segment. Called under the write lock.
     */
    private void mergeIfNeeded() {
        List<ExactSegment> sealed = new ArrayList<>();
        for (ExactSegment s : segments) {
            if (s.sealed) {
                sealed.add(s);
            }
        }
        Set<ExactSegment> merge = new HashSet<>();
        for (ExactSegment s : sealed) {
            if (s.deletedCount * 2 > s.count) {
                merge.add(s);
            }
        }
        if (sealed.size() - merge.size() > MAX_SEGMENTS) {
            for (ExactSegment s : sealed) {
                if ((long) s.rows * dim < ExactSegment.MAX_FLOATS / 4) {
                    merge.add(s);
                }
            }
        }
        if (merge.isEmpty()) {
            return;
        }
        for (ExactSegment s : sealed) {
            if (!merge.contains(s)) {
                continue;
            }
            for (int i = 0; i < s.count; i++) {
                if (!s.deleted.get(i)) {
                    float[] v = s.vectorsOf(i);
                    byId.put(s.ids[i], append(s.ids[i], v, v.length / dim, s.metadata[i]));
                }
            }
            segments.remove(s);
            if (s.fileName != null) {
                obsoleteFiles.add(s.fileName);
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new VlalignException("The index " + (dir == null ? "(in memory)" : "at " + dir)
                    + " is closed; open it again.");
        }
    }

    @Override
    public void close() {
        rw.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            segments.clear();
            byId.clear();
        } finally {
            rw.writeLock().unlock();
        }
        try {
            if (lock != null) {
                lock.release();
            }
        } catch (IOException e) {
            // the lock goes with the channel
        }
        Closeables.closeQuietly(lockChannel);
    }

    @Override
    public String toString() {
        return "ExactImageIndex[" + (dir == null ? "in memory" : dir) + ", " + space.family() + "]";
    }
}
