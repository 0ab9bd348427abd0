package org.vlalign.lucene;

import org.vlalign.core.Closeables;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.core.index.IndexChecks;
import org.vlalign.core.index.TopHits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.CorruptIndexException;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.IndexFormatTooNewException;
import org.apache.lucene.index.IndexFormatTooOldException;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.join.BitSetProducer;
import org.apache.lucene.search.join.DiversifyingChildrenFloatKnnVectorQuery;
import org.apache.lucene.search.join.QueryBitSetProducer;
import org.apache.lucene.search.join.ScoreMode;
import org.apache.lucene.search.join.ToParentBlockJoinQuery;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.BitSet;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.IndexCorruptedException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.VlalignException;

/**
 * An approximate image index on Lucene's HNSW vector graphs, for collections too large to scan.
 *
 * <p>Each image is a Lucene document block: one child document per vector (a {@code
 * KnnFloatVectorField} with {@code DOT_PRODUCT} similarity) followed by a parent document with the id
 * and metadata. A query finds the nearest children per parent ({@code
 * DiversifyingChildrenFloatKnnVectorQuery}) and joins them to their parent with the maximum score, so
 * an image scores as its best vector, as in {@link ExactImageIndex}. Lucene's score {@code (1 + dot) /
 * 2} is converted back to the dot product, so scores of the two indexes are comparable. Results are
 * approximate: a true top-{@code k} image may be missed; {@link Settings#numCandidates()} trades speed
 * for recall.
 *
 * <p>Writes become visible to searches at once (near-real-time readers) and durable at {@link
 * #commit()}, which is Lucene's atomic, crash-safe commit; the {@link EmbeddingSpace} is stored in the
 * commit's user data and checked on open.
 *
 * <p>Thread-safe: searches run concurrently with each other and with writes; an image's block is
 * replaced atomically, so a search sees it before or after a write. Writes are serialised.
 *
 * <pre>{@code
 * try (ImageIndex index = LuceneHnswImageIndex.open(Path.of("photos.hnsw"), space)) {
 *     index.upsert("cat.jpg", vectors, Map.of("source", "/photos/cat.jpg"));
 *     index.commit();
 *     List<SearchHit> hits = index.search(textVector, 10);
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public final class LuceneHnswImageIndex implements ImageIndex {
    private static final String ID = "id";
    private static final String TYPE = "type";
    private static final String PARENT = "parent";
    private static final String VECTOR = "vector";
    private static final String META_PREFIX = "meta.";
    private static final String FORMAT_KEY = "vlalign.format";
    private static final String FORMAT = "vlalign-hnsw-1";

    /**
     * Graph and search settings.
     *
     * <p>Immutable and thread-safe.
     *
     * @param maxConn neighbours per graph node (Lucene's {@code M})
     * @param beamWidth candidates considered while building the graph
     * @param numCandidates candidates gathered per search before taking the top {@code k}; at least
     *     {@code k} is used
     * @param ramBufferMb indexing buffer before a segment is flushed
     * @since 0.1.0
     */
    public record Settings(int maxConn, int beamWidth, int numCandidates, double ramBufferMb) {
        /** Validates. */
        public Settings {
            IndexChecks.checkHnswGraph(maxConn, beamWidth);
            IndexChecks.checkNumCandidates(numCandidates);
            if (!(ramBufferMb > 0)) {
                throw new InvalidArgumentException("ramBufferMb must be positive but was " + ramBufferMb);
            }
        }

        /**
         * Lucene's graph defaults (M 16, beam 100), 100 search candidates, a 256 MB buffer.
         *
         * @return the defaults
         */
        public static Settings defaults() {
            return new Settings(
                    Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN,
                    Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH,
                    100,
                    256);
        }

        /**
         * These settings with another candidate count.
         *
         * @param n candidates per search
         * @return the new settings
         */
        public Settings withNumCandidates(int n) {
            return new Settings(maxConn, beamWidth, n, ramBufferMb);
        }
    }

    private final EmbeddingSpace space;
    private final Settings settings;
    private final String where;
    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final BitSetProducer parents;
    private final Query parentQuery;
    private final Object writeMutex = new Object();
    private final AtomicBoolean stale = new AtomicBoolean();
    private volatile boolean closed;

    /**
     * An index over a directory: writing through {@code writer}, or, when it is null, read-only over the last
     * commit (no writer, no lock).
     */
    private LuceneHnswImageIndex(
            EmbeddingSpace space, Settings settings, String where, Directory directory, IndexWriter writer)
            throws IOException {
        this.space = space;
        this.settings = settings;
        this.where = where;
        this.directory = directory;
        this.parentQuery = new TermQuery(new Term(TYPE, PARENT));
        this.parents = new QueryBitSetProducer(parentQuery);
        this.writer = writer;
        this.searchers = writer == null
                ? new SearcherManager(directory, null)
                : new SearcherManager(writer, true, false, null);
    }

    /** A writable index, creating an empty one first if {@code create}; the writer is rolled back if this fails. */
    private static LuceneHnswImageIndex writable(
            EmbeddingSpace space, Settings settings, String where, Directory directory, boolean create)
            throws IOException {
        IndexWriterConfig config = new IndexWriterConfig();
        KnnVectorsFormat vectors =
                new Lucene99HnswVectorsFormat(settings.maxConn(), settings.beamWidth());
        config.setCodec(
                new Lucene912Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return vectors;
                    }
                });
        config.setRAMBufferSizeMB(settings.ramBufferMb());
        config.setOpenMode(
                create ? IndexWriterConfig.OpenMode.CREATE : IndexWriterConfig.OpenMode.APPEND);
        IndexWriter w = new IndexWriter(directory, config);
        try {
            if (create) {
                w.setLiveCommitData(commitData(space).entrySet());
                w.commit();
            }
            return new LuceneHnswImageIndex(space, settings, where, directory, w);
        } catch (IOException | RuntimeException e) {
            w.rollback();
            throw e;
        }
    }

    /**
     * A new empty index held in memory, with default settings; {@link #commit()} keeps nothing
     * beyond the process.
     *
     * @param space the space of all vectors
     * @return the index
     */
    public static LuceneHnswImageIndex inMemory(EmbeddingSpace space) {
        return inMemory(space, Settings.defaults());
    }

    /**
     * A new empty index held in memory.
     *
     * @param space the space of all vectors
     * @param settings graph and search settings
     * @return the index
     */
    public static LuceneHnswImageIndex inMemory(EmbeddingSpace space, Settings settings) {
        checkNotNull(space, settings);
        try {
            return writable(space, settings, "(in memory)", new ByteBuffersDirectory(), true);
        } catch (IOException e) {
            throw new VlalignException("Could not create an in-memory HNSW index: " + e.getMessage(), e);
        }
    }

    /**
     * Opens the index in a folder with default settings, creating it if there is none.
     *
     * @param dir the folder
     * @param space the space the caller embeds in; must equal the space the index was built in
     * @return the index
     * @throws InvalidArgumentException if the index was built in another space
     * @throws IndexCorruptedException if the Lucene files are damaged or of an unknown version
     */
    public static LuceneHnswImageIndex open(Path dir, EmbeddingSpace space) {
        return open(dir, space, Settings.defaults());
    }

    /**
     * Opens the index in a folder, creating it if there is none.
     *
     * @param dir the folder
     * @param space the space the caller embeds in; must equal the space the index was built in
     * @param settings graph settings for new vectors, and search settings
     * @return the index
     * @throws InvalidArgumentException if the index was built in another space
     * @throws IndexCorruptedException if the Lucene files are damaged or of an unknown version
     */
    public static LuceneHnswImageIndex open(Path dir, EmbeddingSpace space, Settings settings) {
        if (dir == null) {
            throw new InvalidArgumentException("dir must not be null");
        }
        checkNotNull(space, settings);
        Directory directory = null;
        try {
            Files.createDirectories(dir);
            if (ExactImageIndex.isExactIndex(dir)) {
                throw new InvalidArgumentException(
                        "The folder " + dir + " holds an exact vlalign index, not an HNSW index."
                                + " Open it as an exact index, or use another folder.");
            }
            directory = FSDirectory.open(dir);
            boolean exists = DirectoryReader.indexExists(directory);
            if (exists) {
                checkStoredSpace(directory, dir, space);
            }
            LuceneHnswImageIndex index = writable(space, settings, dir.toString(), directory, !exists);
            index.verifyOnOpen();
            return index;
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(directory);
            throw openFailure(dir, e);
        }
    }

    /**
     * What a failed {@link #open(Path, EmbeddingSpace, Settings)} throws: damaged files, a folder another
     * instance holds and other I/O failures each say what to do; runtime exceptions pass as they are.
     */
    private static RuntimeException openFailure(Path dir, Exception e) {
        if (e instanceof CorruptIndexException || e instanceof IndexFormatTooOldException
                || e instanceof IndexFormatTooNewException) {
            return new IndexCorruptedException(
                    "The Lucene HNSW index at " + dir + " is damaged or of an unsupported version: "
                            + e.getMessage() + ". Restore the folder from a backup, or delete it"
                            + " and index the images again.", e);
        }
        if (e instanceof LockObtainFailedException) {
            return new VlalignException(
                    "The index at " + dir + " is already open in this or another process ("
                            + e.getMessage() + "). Close the other instance first, or share one:"
                            + " it is thread-safe.", e);
        }
        if (e instanceof IOException) {
            return new VlalignException(
                    "Could not open the HNSW index at " + dir + ": " + e.getMessage()
                            + ". Check that it is a writable local folder.", e);
        }
        return (RuntimeException) e;
    }

    private static void checkNotNull(EmbeddingSpace space, Settings settings) {
        if (space == null || settings == null) {
            throw new InvalidArgumentException("space and settings must not be null");
        }
        int max = new Lucene99HnswVectorsFormat().getMaxDimensions(VECTOR);
        if (space.dimension() > max) {
            throw new InvalidArgumentException(
                    "space " + IndexChecks.describe(space) + " has dimension " + space.dimension()
                            + " but Lucene HNSW vectors hold at most " + max
                            + "; use ExactImageIndex for this model");
        }
    }

    private static Map<String, String> commitData(EmbeddingSpace space) {
        Map<String, String> m = new LinkedHashMap<>(IndexChecks.toMap(space));
        m.put(FORMAT_KEY, FORMAT);
        return m;
    }

    /**
     * The settings in use.
     *
     * @return the settings
     */
    public Settings settings() {
        return settings;
    }

    @Override
    public EmbeddingSpace space() {
        return space;
    }

    @Override
    public void upsert(String id, Features vectors, Map<String, String> metadata) {
        Map<String, String> meta = IndexChecks.checkUpsert(space, id, vectors, metadata);
        List<List<IndexableField>> block = new ArrayList<>(vectors.rows() + 1);
        for (int r = 0; r < vectors.rows(); r++) {
            float[] row = vectors.row(r); // (dim)
            Document child = new Document();
            child.add(new KnnFloatVectorField(VECTOR, row, VectorSimilarityFunction.DOT_PRODUCT));
            child.add(new StringField(ID, id, Field.Store.NO));
            block.add(child.getFields());
        }
        Document parent = new Document();
        parent.add(new StringField(ID, id, Field.Store.YES));
        parent.add(new StringField(TYPE, PARENT, Field.Store.NO));
        for (Map.Entry<String, String> e : meta.entrySet()) {
            parent.add(new StoredField(META_PREFIX + e.getKey(), e.getValue()));
        }
        block.add(parent.getFields());
        checkWritable();
        synchronized (writeMutex) {
            ensureOpen();
            try {
                writer.updateDocuments(new Term(ID, id), block);
            } catch (IOException e) {
                throw failure("add image '" + id + "' to", e);
            }
            stale.set(true);
        }
    }

    @Override
    public boolean remove(String id) {
        checkWritable();
        synchronized (writeMutex) {
            ensureOpen();
            try {
                boolean present = withSearcher(s -> s.count(parentWithId(id)) > 0);
                if (present) {
                    writer.deleteDocuments(new Term(ID, id));
                    stale.set(true);
                }
                return present;
            } catch (IOException e) {
                throw failure("remove image '" + id + "' from", e);
            }
        }
    }

    private Query parentWithId(String id) {
        return new BooleanQuery.Builder()
                .add(new TermQuery(new Term(ID, id)), BooleanClause.Occur.FILTER)
                .add(parentQuery, BooleanClause.Occur.FILTER)
                .build();
    }

    @Override
    public Optional<Map<String, String>> metadata(String id) {
        if (id == null) {
            return Optional.empty();
        }
        ensureOpen();
        try {
            return withSearcher(
                    s -> {
                        TopDocs top = s.search(parentWithId(id), 1);
                        if (top.scoreDocs.length == 0) {
                            return Optional.<Map<String, String>>empty();
                        }
                        return Optional.of(readParent(s, top.scoreDocs[0].doc).metadata());
                    });
        } catch (IOException e) {
            throw failure("read metadata of image '" + id + "' from", e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Read from the image's child documents, in the order they were written.
     */
    @Override
    public Optional<Features> vectors(String id) {
        if (id == null) {
            return Optional.empty();
        }
        ensureOpen();
        try {
            return withSearcher(s -> {
                TopDocs top = s.search(parentWithId(id), 1);
                if (top.scoreDocs.length == 0) {
                    return Optional.<Features>empty();
                }
                int doc = top.scoreDocs[0].doc;
                List<LeafReaderContext> leaves = s.getIndexReader().leaves();
                LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
                int parent = doc - leaf.docBase;
                BitSet parentBits = parents.getBitSet(leaf);
                int first = parent == 0 ? 0 : parentBits.prevSetBit(parent - 1) + 1;
                FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
                int dim = space.dimension();
                if (values == null || parent - first < 1) {
                    throw new CorruptIndexException("image '" + id + "' has no vectors", where);
                }
                float[] out = new float[Math.multiplyExact(parent - first, dim)];
                for (int child = first; child < parent; child++) {
                    if (values.advance(child) != child) {
                        throw new CorruptIndexException("child document " + child + " of image '" + id
                                + "' has no vector", where);
                    }
                    float[] v = values.vectorValue();
                    if (v.length != dim) {
                        throw new CorruptIndexException("a vector of image '" + id + "' has width " + v.length
                                + " but the space's is " + dim, where);
                    }
                    System.arraycopy(v, 0, out, (child - first) * dim, dim);
                }
                return Optional.of(Features.of(out, parent - first, dim));
            });
        } catch (IOException e) {
            throw failure("read the vectors of image '" + id + "' from", e);
        }
    }

    @Override
    public int size() {
        ensureOpen();
        try {
            return withSearcher(s -> s.count(parentQuery));
        } catch (IOException e) {
            throw failure("count the images of", e);
        }
    }

    @Override
    public List<SearchHit> search(Features query, int k) {
        return search(query, k, settings.numCandidates());
    }

    /**
     * The best-scoring images, gathering a given number of graph candidates: more candidates raise
     * recall and cost time.
     *
     * @param query shape {@code (1, space().dimension())}, L2-normalised
     * @param k how many to return, at least 1
     * @param numCandidates candidates to gather; at least {@code k} is used
     * @return up to {@code k} hits, best first; ties broken by id
     */
    public List<SearchHit> search(Features query, int k, int numCandidates) {
        float[] q = IndexChecks.checkQuery(space, query, k); // (dim)
        IndexChecks.checkNumCandidates(numCandidates);
        ensureOpen();
        try {
            return withSearcher(
                    s -> {
                        // k and the candidates are clamped to what the index holds, never allocated as asked
                        int docs = s.getIndexReader().maxDoc();
                        if (docs == 0) {
                            return List.of();
                        }
                        int top = Math.min(k, docs);
                        int candidates = Math.min(Math.max(top, numCandidates), docs);
                        Query knn =
                                new ToParentBlockJoinQuery(
                                        new DiversifyingChildrenFloatKnnVectorQuery(
                                                VECTOR, q, null, candidates, parents),
                                        parents,
                                        ScoreMode.Max);
                        TopDocs found = s.search(knn, candidates);
                        TopHits best = new TopHits(top);
                        for (ScoreDoc sd : found.scoreDocs) {
                            float dot = checkedDot(sd.score, sd.doc);
                            if (best.competitive(dot)) {
                                SearchHit hit = readParent(s, sd.doc);
                                best.offer(dot, hit.id(), hit.metadata());
                            }
                        }
                        return best.toList();
                    });
        } catch (IOException e) {
            throw failure("search", e);
        }
    }

    /**
     * Opens the last commit of an index folder for searching only: no writer's lock is taken and no
     * file is created, so it works while another process indexes into the folder. Commits made after
     * the open are not seen. Checksums are verified as in {@link #open}. Writes throw.
     *
     * @param dir a folder holding an HNSW index
     * @param space the space the caller embeds in; must equal the space the index was built in
     * @return the index
     * @throws InvalidArgumentException if the index was built in another space
     * @throws IndexCorruptedException if the folder holds no index, or its files are damaged
     * @since 0.2.0
     */
    public static LuceneHnswImageIndex openReadOnly(Path dir, EmbeddingSpace space) {
        if (dir == null) {
            throw new InvalidArgumentException("dir must not be null");
        }
        checkNotNull(space, Settings.defaults());
        if (!Files.isDirectory(dir)) {
            throw new IndexCorruptedException("No HNSW index at " + dir + ": the folder does not exist.");
        }
        Directory directory = null;
        try {
            directory = FSDirectory.open(dir);
            if (!DirectoryReader.indexExists(directory)) {
                throw new IndexCorruptedException("No HNSW index at " + dir
                        + ": the folder holds no Lucene commit. Build one first, or check the path.");
            }
            checkStoredSpace(directory, dir, space);
            LuceneHnswImageIndex index =
                    new LuceneHnswImageIndex(space, Settings.defaults(), dir.toString(), directory, null);
            index.verifyOnOpen();
            return index;
        } catch (IOException | RuntimeException e) {
            Closeables.closeQuietly(directory);
            if (e instanceof VlalignException v) {
                throw v;
            }
            throw new IndexCorruptedException("The Lucene HNSW index at " + dir + " cannot be read: " + e
                    + ". Restore the folder from a backup, or delete it and index the images again.", e);
        }
    }

    private static void checkStoredSpace(Directory directory, Path dir, EmbeddingSpace space) throws IOException {
        Map<String, String> data = SegmentInfos.readLatestCommit(directory).getUserData();
        EmbeddingSpace stored = IndexChecks.fromMap(data);
        if (stored == null || !FORMAT.equals(data.get(FORMAT_KEY))) {
            throw new IndexCorruptedException(
                    "The Lucene index at " + dir + " was not written by vlalign (its commit"
                            + " data has no embedding space or format " + FORMAT + ")."
                            + " Use another folder, or index the images again.");
        }
        IndexChecks.checkSameSpace(dir, stored, space);
    }

    /** Verifies the checksum of every file of the opened commit; closes this index if one fails. */
    private void verifyOnOpen() {
        try {
            withSearcher(s -> {
                for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
                    leaf.reader().checkIntegrity();
                }
                return null;
            });
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IndexCorruptedException ic ? ic : new IndexCorruptedException(
                    "The Lucene HNSW index at " + where + " fails its checksums: " + e.getMessage()
                            + ". Restore the folder from a backup, or delete it and index the images again.", e);
        }
    }

    /**
     * A full check of the committed and written data, beyond the checksums verified at open: every
     * image's stored fields and every vector are read, and each vector must be finite and of unit
     * length. Slow on large indexes: it reads everything.
     *
     * @throws IndexCorruptedException naming the first damage found
     * @since 0.2.0
     */
    public void verify() {
        ensureOpen();
        try {
            withSearcher(s -> {
                for (LeafReaderContext leaf : s.getIndexReader().leaves()) {
                    leaf.reader().checkIntegrity();
                    FloatVectorValues values = leaf.reader().getFloatVectorValues(VECTOR);
                    if (values != null) {
                        for (int doc = values.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = values.nextDoc()) {
                            float[] v = values.vectorValue();
                            double norm = 0;
                            for (float x : v) {
                                norm += (double) x * x;
                            }
                            if (v.length != space.dimension() || !(Math.abs(norm - 1) < 1e-3)) {
                                throw new CorruptIndexException("vector of document " + doc + " has width "
                                        + v.length + " and squared norm " + norm + "; stored vectors are unit length",
                                        leaf.reader().toString());
                            }
                        }
                    }
                    StoredFields stored = leaf.reader().storedFields();
                    for (int doc = 0; doc < leaf.reader().maxDoc(); doc++) {
                        stored.document(doc);
                    }
                }
                return null;
            });
        } catch (IOException e) {
            throw failure("verify", e);
        }
    }

    private void checkWritable() {
        if (writer == null) {
            throw new VlalignException("The HNSW index at " + where + " was opened read-only (openReadOnly);"
                    + " open it with LuceneHnswImageIndex.open to write.");
        }
    }

    /** Lucene's DOT_PRODUCT score is (1 + dot) / 2; unit vectors keep it in [0, 1]. */
    private float checkedDot(float score, int doc) throws CorruptIndexException {
        float dot = 2f * score - 1f;
        if (!(Math.abs(dot) <= 1.01f)) {
            throw new CorruptIndexException("document " + doc + " scores a dot product of " + dot
                    + " with a unit query; stored vectors are unit length", where);
        }
        return dot;
    }

    private static SearchHit readParent(IndexSearcher s, int doc) throws IOException {
        Document d = s.storedFields().document(doc);
        String id = null;
        Map<String, String> meta = new LinkedHashMap<>();
        for (IndexableField f : d.getFields()) {
            if (f.name().equals(ID)) {
                id = f.stringValue();
            } else if (f.name().startsWith(META_PREFIX)) {
                meta.put(f.name().substring(META_PREFIX.length()), f.stringValue());
            }
        }
        if (id == null) {
            throw new CorruptIndexException("parent document " + doc + " has no id", "stored fields");
        }
        return new SearchHit(id, 0f, meta);
    }

    @Override
    public void commit() {
        if (writer == null) {
            return; // read-only: nothing to commit
        }
        synchronized (writeMutex) {
            ensureOpen();
            try {
                writer.setLiveCommitData(commitData(space).entrySet());
                writer.commit();
            } catch (IOException e) {
                throw new VlalignException(
                        "Could not commit the HNSW index at " + where + ": " + e.getMessage()
                                + ". The previous commit is intact; free disk space or fix"
                                + " permissions and commit again.", e);
            }
        }
    }

    @Override
    public void close() {
        synchronized (writeMutex) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                searchers.close();
            } catch (IOException e) {
                // the writer's rollback below releases everything
            }
            try {
                if (writer != null) {
                    writer.rollback();
                }
            } catch (IOException e) {
                // nothing uncommitted can be kept anyway
            }
            Closeables.closeQuietly(directory);
        }
    }

    private interface SearcherFunction<T> {
        T apply(IndexSearcher s) throws IOException;
    }

    private <T> T withSearcher(SearcherFunction<T> f) throws IOException {
        if (stale.getAndSet(false)) {
            searchers.maybeRefreshBlocking();
        }
        IndexSearcher s = searchers.acquire();
        try {
            return f.apply(s);
        } catch (VlalignException e) {
            throw e;
        } catch (RuntimeException e) {
            // damaged files that pass no checksum on the read path surface as Lucene's internal
            // failures (array bounds, assertions in decoders): never as raw runtime exceptions
            throw new CorruptIndexException("reading failed with " + e, where, e);
        } finally {
            searchers.release(s);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new VlalignException("The HNSW index " + where + " is closed; open it again.");
        }
    }

    private VlalignException failure(String what, IOException e) {
        if (e instanceof CorruptIndexException || e instanceof IndexFormatTooOldException
                || e instanceof IndexFormatTooNewException || e instanceof java.io.EOFException) {
            return new IndexCorruptedException(
                    "Could not " + what + " the HNSW index at " + where + ": " + e.getMessage()
                            + ". Restore the folder from a backup, or index the images again.", e);
        }
        return new VlalignException(
                "Could not " + what + " the HNSW index at " + where + ": " + e.getMessage(), e);
    }

    @Override
    public String toString() {
        return "LuceneHnswImageIndex[" + where + ", " + space.family() + "]";
    }
}
