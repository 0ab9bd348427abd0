package org.vlalign.solr;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.solr.client.solrj.SolrServerException;
import org.apache.solr.client.solrj.impl.CloudSolrClient;
import org.apache.solr.client.solrj.impl.ClusterStateProvider;
import org.apache.solr.client.solrj.request.AbstractUpdateRequest;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.client.solrj.request.ConfigSetAdminRequest;
import org.apache.solr.client.solrj.request.QueryRequest;
import org.apache.solr.client.solrj.request.UpdateRequest;
import org.apache.solr.client.solrj.response.ConfigSetAdminResponse;
import org.apache.solr.client.solrj.response.QueryResponse;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrDocumentList;
import org.apache.solr.common.SolrException;
import org.apache.solr.common.SolrInputDocument;
import org.apache.solr.common.cloud.DocCollection;
import org.apache.solr.common.cloud.Replica;
import org.apache.solr.common.cloud.Slice;
import org.apache.solr.common.params.ModifiableSolrParams;
import org.apache.solr.common.util.ContentStreamBase;
import org.vlalign.EmbeddingSpace;
import org.vlalign.Features;
import org.vlalign.ImageIndex;
import org.vlalign.IndexCorruptedException;
import org.vlalign.InvalidArgumentException;
import org.vlalign.SearchHit;
import org.vlalign.VlalignException;
import org.vlalign.core.Closeables;
import org.vlalign.core.index.ExactImageIndex;
import org.vlalign.core.index.IndexChecks;
import org.vlalign.core.index.MaxSim;
import org.vlalign.core.index.TopHits;

/**
 * An image index in a SolrCloud collection, for collections that outgrow one machine: Solr shards the
 * images over nodes, replicates each shard, and searches the shards in parallel.
 *
 * <p>Each image is a Solr document block: one child document per vector (a {@code DenseVectorField},
 * Lucene HNSW, cosine similarity) and a parent document with the image id, the metadata and the vectors
 * again as stored bytes. A search runs a block-join parent query ({@code {!parent score=max}}) over a
 * {@code {!knn}} child query on every shard, which gathers {@link Settings#numCandidates()} nearest
 * vectors per shard and joins them to their images; the best {@code max(2k, k + 10)} images are then
 * scored exactly from their stored vectors (the maximum over vectors of the dot product, computed as
 * {@link ExactImageIndex} computes it) and the best {@code k} returned. Results are approximate only in
 * which images the graphs find; the scores are exact.
 *
 * <p>The collection stores the {@link EmbeddingSpace} it was built in, in a document of its own; opening
 * it with another space fails, as a local index folder does. {@link #open} creates a missing collection
 * with vlalign's configset (uploaded under a name that records the vector width and graph settings).
 *
 * <p>Visibility and durability: writes are sent in batches of {@link Settings#batchSize()} images; a read
 * through this instance ({@link #search}, {@link #size}, {@link #metadata}, {@link #remove}) first sends
 * what is pending and, if anything changed, opens new searchers with a soft commit, so every instance
 * reads its own writes. {@link #commit()} is a hard commit: the writes are on disk on every replica.
 * Another process sees the writes after its next soft commit or this instance's commit.
 *
 * <p>Thread-safe: searches run concurrently with each other and with writes; an image's block is replaced
 * atomically on its shard, so a search sees it before or after a write. Writes are serialised.
 *
 * <pre>{@code
 * try (SolrCloudImageIndex index = SolrCloudImageIndex.connect("zk1:2181,zk2:2181/solr", "photos", space)) {
 *     index.upsert("cat.jpg", vectors, Map.of("source", "/photos/cat.jpg"));
 *     index.commit();
 *     List<SearchHit> hits = index.search(textVector, 10);
 * }
 * }</pre>
 *
 * @since 0.3.0
 */
public final class SolrCloudImageIndex implements ImageIndex {
    /** The value of the space document's {@code format} field. */
    static final String FORMAT = "vlalign-solr-1";
    static final String SPACE_ID = "vlalign:space";
    private static final String IMAGE_PREFIX = "img:";
    private static final String VECTOR_PREFIX = "vec:";
    private static final String TYPE_IMAGE = "image";
    private static final String TYPE_VECTOR = "vector";
    private static final String TYPE_SPACE = "space";
    private static final Pattern COLLECTION_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
    private static final Duration LEADER_WAIT = Duration.ofSeconds(180);
    private static final Gson GSON = new Gson();
    private static final Type META_TYPE = new TypeToken<Map<String, String>>() {}.getType();

    /**
     * Collection layout (used when the collection is created), graph settings and search and write
     * settings.
     *
     * <p>Immutable and thread-safe.
     *
     * @param shards shards of a new collection
     * @param replicas replicas of each shard of a new collection
     * @param maxConn neighbours per graph node (Lucene's {@code M}) of a new collection
     * @param beamWidth candidates considered while building the graphs of a new collection
     * @param numCandidates nearest vectors gathered per shard and search ({@code topK} of Solr's {@code
     *     knn} parser, which counts vectors, not images); at least {@code k} is used
     * @param batchSize images sent to Solr per update request
     * @since 0.3.0
     */
    public record Settings(int shards, int replicas, int maxConn, int beamWidth, int numCandidates, int batchSize) {
        /** Validates. */
        public Settings {
            positive("shards", shards);
            positive("replicas", replicas);
            IndexChecks.checkHnswGraph(maxConn, beamWidth);
            positive("numCandidates", numCandidates);
            positive("batchSize", batchSize);
        }

        private static void positive(String name, int value) {
            if (value < 1) {
                throw new InvalidArgumentException(name + " must be positive but was " + value);
            }
        }

        /**
         * One shard with one replica, Lucene's graph defaults (M 16, beam 100), 320 candidates per shard
         * (ten images' worth of 32 vectors), batches of 16 images (about half a megabyte of vectors for
         * BLIP-2's 32 × 256).
         *
         * @return the defaults
         */
        public static Settings defaults() {
            return new Settings(1, 1, 16, 100, 320, 16);
        }

        /**
         * These settings with another collection layout.
         *
         * @param shards shards of a new collection
         * @param replicas replicas per shard of a new collection
         * @return the new settings
         */
        public Settings withLayout(int shards, int replicas) {
            return new Settings(shards, replicas, maxConn, beamWidth, numCandidates, batchSize);
        }

        /**
         * These settings with another candidate count.
         *
         * @param n nearest vectors gathered per shard and search
         * @return the new settings
         */
        public Settings withNumCandidates(int n) {
            return new Settings(shards, replicas, maxConn, beamWidth, n, batchSize);
        }

        /**
         * These settings with another write batch size.
         *
         * @param n images per update request
         * @return the new settings
         */
        public Settings withBatchSize(int n) {
            return new Settings(shards, replicas, maxConn, beamWidth, numCandidates, n);
        }
    }

    private final CloudSolrClient client;
    private final boolean ownsClient;
    private final String collection;
    private final EmbeddingSpace space;
    private final Settings settings;
    private final Object writeMutex = new Object();
    private final List<SolrInputDocument> pending = new ArrayList<>();
    private boolean unsearched; // guarded by writeMutex: sent writes no searcher sees yet
    private volatile boolean closed;

    private SolrCloudImageIndex(
            CloudSolrClient client, boolean ownsClient, String collection, EmbeddingSpace space, Settings settings) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.collection = collection;
        this.space = space;
        this.settings = settings;
    }

    /**
     * Connects to a SolrCloud cluster through ZooKeeper and opens a collection with default settings,
     * creating it (one shard, one replica) if it is missing. The index owns the client and closes it.
     *
     * @param zkHost the ZooKeeper address: {@code host:port[,host:port...][/chroot]}
     * @param collection the collection
     * @param space the space the caller embeds in; must equal the space the collection was built in
     * @return the index; close it
     * @throws InvalidArgumentException if an argument is malformed, or the collection was built in another
     *     space or not by vlalign
     * @throws VlalignException if the cluster cannot be reached
     */
    public static SolrCloudImageIndex connect(String zkHost, String collection, EmbeddingSpace space) {
        return connect(zkHost, collection, space, Settings.defaults());
    }

    /**
     * Connects to a SolrCloud cluster through ZooKeeper and opens a collection, creating it if it is
     * missing. The index owns the client and closes it.
     *
     * @param zkHost the ZooKeeper address: {@code host:port[,host:port...][/chroot]}
     * @param collection the collection
     * @param space the space the caller embeds in; must equal the space the collection was built in
     * @param settings the layout of a new collection, and search and write settings
     * @return the index; close it
     * @throws InvalidArgumentException if an argument is malformed, or the collection was built in another
     *     space or not by vlalign
     * @throws VlalignException if the cluster cannot be reached
     */
    public static SolrCloudImageIndex connect(
            String zkHost, String collection, EmbeddingSpace space, Settings settings) {
        CloudSolrClient client = newClient(zkHost);
        try {
            return open(client, true, collection, space, settings);
        } catch (RuntimeException e) {
            Closeables.closeQuietly(client);
            throw e;
        }
    }

    /**
     * Opens a collection through a client the caller owns (and closes after this index), creating the
     * collection if it is missing.
     *
     * @param client a SolrCloud client
     * @param collection the collection
     * @param space the space the caller embeds in; must equal the space the collection was built in
     * @param settings the layout of a new collection, and search and write settings
     * @return the index; close it
     * @throws InvalidArgumentException if an argument is malformed, or the collection was built in another
     *     space or not by vlalign
     * @throws VlalignException if the cluster cannot be reached
     */
    public static SolrCloudImageIndex open(
            CloudSolrClient client, String collection, EmbeddingSpace space, Settings settings) {
        if (client == null) {
            throw new InvalidArgumentException("client must not be null");
        }
        return open(client, false, collection, space, settings);
    }

    /**
     * A SolrCloud client that reads the cluster state from ZooKeeper.
     *
     * @param zkHost {@code host:port[,host:port...][/chroot]}
     * @return the client; close it
     * @throws InvalidArgumentException if the address is malformed
     */
    static CloudSolrClient newClient(String zkHost) {
        if (zkHost == null || zkHost.isBlank()) {
            throw new InvalidArgumentException(
                    "zkHost must be a ZooKeeper address host:port[,host:port...][/chroot] but was '" + zkHost + "'");
        }
        String hosts = zkHost.strip();
        Optional<String> chroot = Optional.empty();
        int slash = hosts.indexOf('/');
        if (slash >= 0) {
            chroot = Optional.of(hosts.substring(slash));
            hosts = hosts.substring(0, slash);
        }
        List<String> list = new ArrayList<>();
        for (String h : hosts.split(",")) {
            if (!h.strip().matches("[^:\\s]+:\\d{1,5}")) {
                throw new InvalidArgumentException(
                        "zkHost '" + zkHost + "' has a malformed host '" + h + "'; expected"
                                + " host:port[,host:port...][/chroot], e.g. 127.0.0.1:2181/solr");
            }
            list.add(h.strip());
        }
        return new CloudSolrClient.Builder(list, chroot).build();
    }

    private static SolrCloudImageIndex open(
            CloudSolrClient client, boolean owns, String collection, EmbeddingSpace space, Settings settings) {
        if (collection == null || !COLLECTION_NAME.matcher(collection).matches()) {
            throw new InvalidArgumentException(
                    "collection must be 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or"
                            + " digit, but was '" + collection + "'");
        }
        if (space == null || settings == null) {
            throw new InvalidArgumentException("space and settings must not be null");
        }
        if (space.dimension() > 1024) {
            throw new InvalidArgumentException(
                    "space " + IndexChecks.describe(space) + " has dimension " + space.dimension()
                            + " but Solr's dense vectors hold at most 1024; use ExactImageIndex for this model");
        }
        SolrCloudImageIndex index = new SolrCloudImageIndex(client, owns, collection, space, settings);
        index.attach();
        return index;
    }

    /** Creates the collection if needed, then checks its stored space. */
    private void attach() {
        try {
            if (!CollectionAdminRequest.listCollections(client).contains(collection)) {
                create();
            }
            awaitLeaders();
            SolrDocument stored = client.getById(collection, SPACE_ID);
            if (stored == null) {
                throw new InvalidArgumentException(
                        where() + " was not made by vlalign (it has no document '" + SPACE_ID + "' recording"
                                + " the embedding space). Use another collection name, or delete this one.");
            }
            if (!FORMAT.equals(stored.getFirstValue("format"))) {
                throw new IndexCorruptedException(
                        where() + " has format '" + stored.getFirstValue("format") + "' but this vlalign reads "
                                + FORMAT + ". Index the images again into a new collection.");
            }
            EmbeddingSpace storedSpace;
            try {
                storedSpace = new EmbeddingSpace(
                        (String) stored.getFirstValue("space_family"),
                        (String) stored.getFirstValue("space_fingerprint"),
                        (String) stored.getFirstValue("space_preprocessing"),
                        Integer.parseInt((String) stored.getFirstValue("space_dimension")));
            } catch (RuntimeException e) {
                throw new IndexCorruptedException(
                        where() + " has a damaged space document " + stored + ". Index the images again into"
                                + " a new collection.", e);
            }
            IndexChecks.checkSameSpace(where(), "another collection", storedSpace, space);
        } catch (SolrServerException | IOException | SolrException e) {
            throw failure("open", e);
        }
    }

    /**
     * Waits until every shard has an active leader on a live node (a new collection's first election, or a
     * re-election after a node left), so the first request finds every shard.
     */
    private void awaitLeaders() throws IOException {
        long deadline = System.nanoTime() + LEADER_WAIT.toNanos();
        while (true) {
            ClusterStateProvider state = client.getClusterStateProvider();
            DocCollection c = state.getCollection(collection);
            Set<String> live = state.getLiveNodes();
            String missing = null;
            if (c == null) {
                missing = "the collection's state";
            } else {
                for (Slice slice : c.getActiveSlices()) {
                    Replica leader = slice.getLeader();
                    if (leader == null || leader.getState() != Replica.State.ACTIVE
                            || !live.contains(leader.getNodeName())) {
                        missing = "an active leader of " + slice.getName();
                        break;
                    }
                }
            }
            if (missing == null) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new VlalignException(where() + " has no " + missing + " after " + LEADER_WAIT.toSeconds()
                        + " s. Check that enough Solr nodes are up to hold a replica of every shard.");
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VlalignException("Interrupted while waiting for " + where() + " to elect leaders", e);
            }
        }
    }

    private void create() throws SolrServerException, IOException {
        String config = "vlalign-image-index-d" + space.dimension() + "-m" + settings.maxConn() + "-b"
                + settings.beamWidth();
        List<String> configs = new ConfigSetAdminRequest.List().process(client).getConfigSets();
        if (configs == null || !configs.contains(config)) {
            ContentStreamBase.ByteArrayStream zip = new ContentStreamBase.ByteArrayStream(configsetZip(), config + ".zip");
            zip.setContentType("application/zip");
            ConfigSetAdminResponse r = new ConfigSetAdminRequest.Upload()
                    .setConfigSetName(config)
                    .setOverwrite(true)
                    .setUploadStream(zip)
                    .process(client);
            if (r.getErrorMessages() != null && r.getErrorMessages().size() > 0) {
                throw new VlalignException("Could not upload the configset " + config + " for " + where() + ": "
                        + r.getErrorMessages());
            }
        }
        try {
            CollectionAdminRequest.Create request = CollectionAdminRequest.createCollection(
                    collection, config, settings.shards(), settings.replicas());
            // Returns once every replica is active, so the first write finds all shards.
            request.setWaitForFinalState(true);
            request.process(client);
        } catch (SolrException | SolrServerException e) {
            // Another process may have created it meanwhile; then it is opened like any existing one.
            if (!CollectionAdminRequest.listCollections(client).contains(collection)) {
                throw e;
            }
            return;
        }
        SolrInputDocument doc = new SolrInputDocument();
        doc.setField("id", SPACE_ID);
        doc.setField("type", TYPE_SPACE);
        doc.setField("format", FORMAT);
        doc.setField("space_family", space.family());
        doc.setField("space_fingerprint", space.fingerprint());
        doc.setField("space_preprocessing", space.preprocessing());
        doc.setField("space_dimension", Integer.toString(space.dimension()));
        UpdateRequest add = new UpdateRequest();
        add.add(doc);
        add.setAction(AbstractUpdateRequest.ACTION.COMMIT, true, true);
        add.process(client, collection);
    }

    private byte[] configsetZip() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (String name : List.of("solrconfig.xml", "schema.xml")) {
                String text = resource(name)
                        .replace("@DIMENSION@", Integer.toString(space.dimension()))
                        .replace("@MAX_CONN@", Integer.toString(settings.maxConn()))
                        .replace("@BEAM_WIDTH@", Integer.toString(settings.beamWidth()));
                zip.putNextEntry(new ZipEntry(name));
                zip.write(text.getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = SolrCloudImageIndex.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("resource " + name + " is missing from the vlalign-solr jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * The collection's name.
     *
     * @return the name
     */
    public String collection() {
        return collection;
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
        float[] data = vectors.data(); // (rows, dim)
        int dim = space.dimension();
        SolrInputDocument parent = new SolrInputDocument();
        parent.setField("id", IMAGE_PREFIX + id);
        parent.setField("type", TYPE_IMAGE);
        parent.setField("image", id);
        parent.setField("meta", GSON.toJson(new LinkedHashMap<>(meta)));
        ByteBuffer packed = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        packed.asFloatBuffer().put(data); // (rows * dim) little-endian float32
        byte[] packedBytes = packed.array();
        parent.setField("vectors", packedBytes);
        List<SolrInputDocument> children = new ArrayList<>(vectors.rows());
        for (int r = 0; r < vectors.rows(); r++) {
            List<Float> row = new ArrayList<>(dim); // (dim)
            for (int c = 0; c < dim; c++) {
                row.add(data[r * dim + c]);
            }
            SolrInputDocument child = new SolrInputDocument();
            child.setField("id", VECTOR_PREFIX + id + ":" + r);
            child.setField("type", TYPE_VECTOR);
            child.setField("vector", row);
            children.add(child);
        }
        parent.addChildDocuments(children);
        synchronized (writeMutex) {
            ensureOpen();
            pending.add(parent);
            if (pending.size() >= settings.batchSize()) {
                flush();
            }
        }
    }

    /** Sends the pending images. Holds writeMutex. */
    private void flush() {
        if (pending.isEmpty()) {
            return;
        }
        UpdateRequest add = new UpdateRequest();
        add.add(pending);
        try {
            add.process(client, collection);
        } catch (SolrServerException | IOException | SolrException e) {
            throw failure("add " + pending.size() + " images to", e);
        } finally {
            // Sent or failed, a batch is not retried: the failure names it and the caller decides.
            pending.clear();
            unsearched = true;
        }
    }

    /** Sends pending writes and opens searchers that see them, so this instance reads its own writes. */
    private void makeVisible() {
        synchronized (writeMutex) {
            ensureOpen();
            flush();
            if (unsearched) {
                try {
                    new UpdateRequest()
                            .setAction(AbstractUpdateRequest.ACTION.COMMIT, true, true, true)
                            .process(client, collection);
                } catch (SolrServerException | IOException | SolrException e) {
                    throw failure("open new searchers on", e);
                }
                unsearched = false;
            }
        }
    }

    @Override
    public boolean remove(String id) {
        if (id == null || id.isEmpty()) {
            return false;
        }
        synchronized (writeMutex) {
            ensureOpen();
            flush();
            try {
                if (client.getById(collection, IMAGE_PREFIX + id) == null) {
                    return false;
                }
                // The schema nests documents, so Solr deletes the id's whole block (its _root_).
                new UpdateRequest().deleteById(IMAGE_PREFIX + id).process(client, collection);
                unsearched = true;
                return true;
            } catch (SolrServerException | IOException | SolrException e) {
                throw failure("remove image '" + id + "' from", e);
            }
        }
    }

    @Override
    public Optional<Map<String, String>> metadata(String id) {
        return image(id, "meta", "read metadata of").map(this::readMeta);
    }

    /**
     * An image's parent document by a real-time get, which reads the update log, so no commit is needed.
     *
     * @param id the image id; null or empty finds nothing
     * @param field the stored field to fetch besides the id
     * @param what the failure message's verb phrase
     * @return the document, or empty if absent
     */
    private Optional<SolrDocument> image(String id, String field, String what) {
        if (id == null || id.isEmpty()) {
            return Optional.empty();
        }
        synchronized (writeMutex) {
            ensureOpen();
            flush();
        }
        try {
            ModifiableSolrParams fl = new ModifiableSolrParams();
            fl.set("fl", "id," + field);
            return Optional.ofNullable(client.getById(collection, IMAGE_PREFIX + id, fl));
        } catch (SolrServerException | IOException | SolrException e) {
            throw failure(what + " image '" + id + "' from", e);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Read with a real-time get from the parent document's stored vectors, the ones searches re-score
     * with.
     */
    @Override
    public Optional<Features> vectors(String id) {
        return image(id, "vectors", "read the vectors of").map(d -> {
            float[] rows = readVectors(d);
            return Features.of(rows, rows.length / space.dimension(), space.dimension());
        });
    }

    @Override
    public int size() {
        makeVisible();
        ModifiableSolrParams p = new ModifiableSolrParams();
        p.set("q", "type:" + TYPE_IMAGE);
        p.set("rows", 0);
        try {
            long n = new QueryRequest(p).process(client, collection).getResults().getNumFound();
            return Math.toIntExact(n);
        } catch (SolrServerException | IOException | SolrException e) {
            throw failure("count the images of", e);
        }
    }

    @Override
    public List<SearchHit> search(Features query, int k) {
        return search(query, k, settings.numCandidates());
    }

    /**
     * The best-scoring images, gathering a given number of nearest vectors per shard: more candidates
     * raise recall and cost time.
     *
     * @param query shape {@code (1, space().dimension())}, L2-normalised
     * @param k how many to return, at least 1
     * @param numCandidates nearest vectors to gather per shard; at least {@code k} is used
     * @return up to {@code k} hits, best first; ties broken by id
     */
    public List<SearchHit> search(Features query, int k, int numCandidates) {
        float[] q = IndexChecks.checkQuery(space, query, k); // (dim)
        IndexChecks.checkNumCandidates(numCandidates);
        makeVisible();
        StringBuilder vector = new StringBuilder(q.length * 12).append('[');
        for (int i = 0; i < q.length; i++) {
            vector.append(i == 0 ? "" : ",").append(q[i]);
        }
        vector.append(']');
        // a k larger than the collection is clamped to it, never sized or sent (2k would overflow)
        int images = size();
        if (images == 0) {
            return List.of();
        }
        int wanted = Math.min(k, images);
        int rescored = (int) Math.min(images, Math.max(2L * wanted, wanted + 10L));
        ModifiableSolrParams p = new ModifiableSolrParams();
        p.set("q", "{!parent which=type:" + TYPE_IMAGE + " score=max v=$vq}");
        p.set("vq", "{!knn f=vector topK=" + Math.max(wanted, numCandidates) + "}" + vector);
        p.set("fl", "id,meta,vectors");
        p.set("rows", rescored);
        QueryResponse response;
        try {
            response = new QueryRequest(p, org.apache.solr.client.solrj.SolrRequest.METHOD.POST)
                    .process(client, collection);
        } catch (SolrServerException | IOException | SolrException e) {
            throw failure("search", e);
        }
        TopHits best = new TopHits(wanted);
        SolrDocumentList docs = response.getResults();
        for (SolrDocument d : docs) {
            float[] rows = readVectors(d); // (rows * dim)
            best.offer(MaxSim.score(q, rows), imageId(d), readMeta(d));
        }
        return best.toList();
    }

    private String imageId(SolrDocument d) {
        String id = (String) d.getFirstValue("id");
        if (id == null || !id.startsWith(IMAGE_PREFIX)) {
            throw new IndexCorruptedException(where() + " returned a document without an image id: " + id);
        }
        return id.substring(IMAGE_PREFIX.length());
    }

    private float[] readVectors(SolrDocument d) {
        Object v = d.getFirstValue("vectors");
        byte[] bytes;
        if (v instanceof byte[] b) {
            bytes = b;
        } else if (v instanceof ByteBuffer b) {
            bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
        } else if (v instanceof String s) {
            bytes = Base64.getDecoder().decode(s);
        } else {
            throw new IndexCorruptedException(
                    where() + " holds image " + d.getFirstValue("id") + " without stored vectors. Index it again.");
        }
        int dim = space.dimension();
        if (bytes.length == 0 || bytes.length % (dim * Float.BYTES) != 0) {
            throw new IndexCorruptedException(
                    where() + " holds image " + d.getFirstValue("id") + " with " + bytes.length + " bytes of"
                            + " vectors, not a positive multiple of " + dim + " floats. Index it again.");
        }
        float[] rows = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(rows);
        return rows;
    }

    private Map<String, String> readMeta(SolrDocument d) {
        Object json = d.getFirstValue("meta");
        if (json == null) {
            return Map.of();
        }
        try {
            Map<String, String> m = GSON.fromJson((String) json, META_TYPE);
            return m == null ? Map.of() : Map.copyOf(m);
        } catch (JsonParseException | ClassCastException | NullPointerException e) {
            throw new IndexCorruptedException(
                    where() + " holds image " + d.getFirstValue("id") + " with damaged metadata: " + json, e);
        }
    }

    @Override
    public void commit() {
        synchronized (writeMutex) {
            ensureOpen();
            flush();
            try {
                new UpdateRequest()
                        .setAction(AbstractUpdateRequest.ACTION.COMMIT, true, true)
                        .process(client, collection);
            } catch (SolrServerException | IOException | SolrException e) {
                throw failure("commit", e);
            }
            unsearched = false;
        }
    }

    /**
     * Closes the index without committing: images still pending in this client's batch are dropped;
     * images already sent stay in the collection's update log and become durable at Solr's next commit.
     * Closes the client if this index owns it. Idempotent.
     */
    @Override
    public void close() {
        synchronized (writeMutex) {
            if (closed) {
                return;
            }
            closed = true;
            pending.clear();
            if (ownsClient) {
                Closeables.closeQuietly(client);
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new VlalignException(where() + " is closed in this client; open it again.");
        }
    }

    private String where() {
        return "The SolrCloud collection '" + collection + "'";
    }

    private VlalignException failure(String what, Exception e) {
        return new VlalignException(
                "Could not " + what + " the SolrCloud collection '" + collection + "': " + e.getMessage()
                        + ". Check that the cluster is up (ZooKeeper and a live replica of every shard).", e);
    }

    @Override
    public String toString() {
        return "SolrCloudImageIndex[" + collection + ", " + space.family() + "]";
    }
}
